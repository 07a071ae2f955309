"""Typed commands: what an adapter hands the core after translating a platform payload.

Adapters never build English for the parser out of form fields or buttons. A slash command
with fields, a modal or a button becomes one of these; only free text goes through the parser
(as ``SayText``). Form fields stay fields: keywords "$5 tools" are keywords, not a budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from oppscout.core.contract import AnalysisRequest
from oppscout.core.db.repositories.conversations import ThreadRef


@dataclass(frozen=True)
class StartAnalysis:
    """Start ``request`` (complete and validated); the service applies every policy before it runs."""

    request: AnalysisRequest
    thread: ThreadRef | None = None
    workspace_id: str = "local"
    user_id: str | None = None
    idempotency_key: str | None = None
    caps_checked: bool = False
    """True only for a watch run: the scheduler weighed its budget against the monthly caps when it
    claimed the run (with the run's own clock), so the service does not count it a second time."""

    @property
    def workspace(self) -> str:
        """The workspace the analysis is filed and capped under."""
        return self.thread.workspace_id if self.thread else self.workspace_id

    @property
    def user(self) -> str | None:
        """Who asked (their personal cap applies); None for the API and watches."""
        return self.thread.user_id if self.thread else self.user_id


@dataclass(frozen=True)
class SayText:
    """Free text (typed, or a transcribed voice note): the only command the parser reads."""

    text: str
    voice: bool = False


@dataclass(frozen=True)
class EditDraft:
    """Replace fields of the request being confirmed; a field left None is kept as it is.

    ``keywords=[]`` clears the keywords. Values are taken as given, never re-read as a sentence.
    """

    subreddits: list[str] | None = None
    keywords: list[str] | None = None
    days: int | None = None
    max_cost: Decimal | None = None


@dataclass(frozen=True)
class Confirm:
    """Yes to the request being confirmed (the Run button)."""


@dataclass(frozen=True)
class Cancel:
    """Drop the request being confirmed, or stop the thread's analysis when nothing is being confirmed."""


Command = SayText | EditDraft | Confirm | Cancel
