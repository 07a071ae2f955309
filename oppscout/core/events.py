"""Events an analysis emits while it runs; interfaces render them, the web relays them."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import Field, PrivateAttr, TypeAdapter

from oppscout.core.contract import CamelModel, CostBreakdown, Money, OpportunityResults, ProgressUpdate, Stage


class _Event(CamelModel):
    analysis_id: str
    seq: int = 0
    # Routing, not payload: a private attribute is neither serialized nor in the generated contract, so
    # front ends never see it; the event bus carries it beside the event (see jobs/event_bus.py).
    _workspace_id: str | None = PrivateAttr(default=None)

    @property
    def workspace_id(self) -> str | None:
        """The workspace owning the analysis, when the code that made the event knew it."""
        return self._workspace_id

    def in_workspace(self, workspace_id: str | None) -> Self:
        """Record the analysis's workspace so the web relay routes the event without a database read."""
        self._workspace_id = workspace_id
        return self


class QueuedEvent(_Event):
    """The analysis is in line; position 1 means it is next."""

    type: Literal["queued"] = "queued"
    position: int
    estimated_wait: float


class StageEvent(_Event):
    """A stage started."""

    type: Literal["stage"] = "stage"
    stage: Stage


class ProgressEvent(_Event):
    """Progress within a stage."""

    type: Literal["progress"] = "progress"
    progress: ProgressUpdate


class CostEvent(_Event):
    """Spend changed, or a warning level was crossed (``warning`` is then set)."""

    type: Literal["cost"] = "cost"
    cost: CostBreakdown
    warning: str | None = None
    level: float | None = None


class NoticeEvent(_Event):
    """Something the user should know that is neither progress nor an error."""

    type: Literal["notice"] = "notice"
    message: str


class CompletedEvent(_Event):
    """The analysis finished; ``report_path`` is the Markdown report, when one was written."""

    type: Literal["completed"] = "completed"
    results: OpportunityResults
    cost: CostBreakdown
    report_path: str | None = None


class FailedEvent(_Event):
    """The analysis failed; ``message`` is safe to show."""

    type: Literal["failed"] = "failed"
    message: str
    spent: Money = Decimal("0")


class CancelledEvent(_Event):
    """The analysis was cancelled."""

    type: Literal["cancelled"] = "cancelled"
    answered: bool = False
    """The person who cancelled was already answered in the thread: only the progress message changes."""


AnalysisEvent = Annotated[
    QueuedEvent | StageEvent | ProgressEvent | CostEvent | NoticeEvent | CompletedEvent | FailedEvent | CancelledEvent,
    Field(discriminator="type"),
]
"""Any event of an analysis."""

EVENT_ADAPTER: TypeAdapter[AnalysisEvent] = TypeAdapter(AnalysisEvent)


def parse_event(raw: str | bytes) -> AnalysisEvent:
    """Read an event from its JSON form."""
    return EVENT_ADAPTER.validate_json(raw)
