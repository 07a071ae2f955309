"""Ports: what the domain needs from the outside, as Protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from oppscout.core.contract import AnalysisRequest, OpportunityResults, QueueStatus, Stage
from oppscout.core.corpus import RedditItem
from oppscout.core.events import AnalysisEvent

if TYPE_CHECKING:
    from oppscout.core.analysis.budget import AnalysisBudget
    from oppscout.core.costs import Reservation


class ProgressCallback(Protocol):
    """Told how a fetch is going: (items so far, items expected or 0 when unknown).

    ``message``, when given, says what the source is doing right now and is shown to the user
    as it is, e.g. "waiting for Reddit's rate limit (12 s)".
    """

    def __call__(self, done: int, expected: int, message: str | None = None) -> Awaitable[None]:
        """Report progress."""
        ...


@dataclass
class PostBatch:
    """Posts a source returned for a request, and what it cost to get them."""

    posts: list[RedditItem]
    api_calls: int = 0
    truncated: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class CommentBatch:
    """Comments a source returned for some posts."""

    comments: list[RedditItem]
    api_calls: int = 0
    notes: list[str] = field(default_factory=list)


class CallMeter(Protocol):
    """Reserves each paid call before a source makes it, and settles it after (``core.call_meter``)."""

    async def reserve(self, what: str) -> Reservation:
        """Hold the price of the call described by ``what``; raises BudgetExceededError when it does not fit."""
        ...

    async def settle(self, reservation: Reservation) -> None:
        """The call was sent: charge it."""
        ...


class PostSource(Protocol):
    """Where posts and comments come from (Reddit, a dump file, the demo data set).

    A source whose calls are paid reserves each one through ``meter`` before making it; one that does
    not (the demo, a dump) ignores it and reports its calls in the batch instead.
    """

    name: str

    async def fetch_posts(
        self, request: AnalysisRequest, on_progress: ProgressCallback, meter: CallMeter | None = None
    ) -> PostBatch:
        """Posts in the request's subreddits and window, matching its keywords when given."""
        ...

    async def fetch_comments(
        self,
        posts: Sequence[RedditItem],
        max_calls: int,
        on_progress: ProgressCallback,
        meter: CallMeter | None = None,
    ) -> CommentBatch:
        """Comments of the posts worth reading, within ``max_calls`` API calls."""
        ...

    async def still_visible(self, items: Sequence[RedditItem]) -> set[str]:
        """Ids of ``items`` still up where they were posted (deleted or removed content is not shown)."""
        ...


class AnalysisEngine(Protocol):
    """Turns collected items into ranked opportunities."""

    name: str

    async def analyze(
        self, items: Sequence[RedditItem], request: AnalysisRequest, budget: AnalysisBudget | None = None
    ) -> OpportunityResults:
        """Find, group, score and explain opportunities in ``items``; paid steps charge ``budget``."""
        ...


class Notifier(Protocol):
    """Delivers analysis events to wherever the user is listening."""

    async def publish(self, event: AnalysisEvent) -> None:
        """Deliver one event; must not raise for delivery problems the user cannot fix."""
        ...


@dataclass(frozen=True)
class LedgerTotals:
    """Sums of the cost ledger for one analysis."""

    spent: Decimal = Decimal("0")
    reserved: Decimal = Decimal("0")
    llm_cost: Decimal = Decimal("0")
    reddit_cost: Decimal = Decimal("0")
    tokens_in: int = 0
    tokens_out: int = 0
    reddit_calls: int = 0


class Ledger(Protocol):
    """Durable record of reservations and settlements."""

    async def totals(self, analysis_id: str) -> LedgerTotals:
        """Sums for one analysis."""
        ...

    async def reserve(self, analysis_id: str, key: str, kind: str, amount: Decimal, budget: Decimal) -> bool:
        """Hold ``amount`` unless spent + held + amount would pass ``budget``; idempotent per key."""
        ...

    async def settle(
        self, analysis_id: str, key: str, actual: Decimal, *, tokens_in: int, tokens_out: int, calls: int
    ) -> None:
        """Turn a reservation into a charge of ``actual``; idempotent per key."""
        ...

    async def release(self, analysis_id: str, key: str) -> None:
        """Drop a reservation that was never used."""
        ...


class AnalysisQueuePort(Protocol):
    """The job queue as the service sees it (arq in production)."""

    async def enqueue(self, analysis_id: str, stage: Stage = ...) -> bool:
        """Queue a stage; False when the job already exists. Raises QueueUnavailableError."""
        ...

    async def is_known(self, analysis_id: str, stage: Stage) -> bool:
        """Whether the stage's job is waiting, running or just finished."""
        ...

    async def any_stage_running(self, analysis_id: str) -> bool:
        """Whether a worker runs any stage of the analysis now."""
        ...

    async def status(self, analysis_id: str, recent_durations: Sequence[float]) -> QueueStatus:
        """Position in line and expected wait."""
        ...


@dataclass(frozen=True)
class Transcript:
    """What a voice note said."""

    text: str
    duration: float
    language: str = "en"


class Transcriber(Protocol):
    """Speech to text for voice notes (faster-whisper in production)."""

    async def transcribe(self, audio: bytes, *, filename: str = "", hotwords: Sequence[str] = ()) -> Transcript:
        """Transcribe one audio file; raises a VoiceError subclass with a message for the user."""
        ...
