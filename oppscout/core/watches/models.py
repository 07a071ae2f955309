"""What a watch is, as the chat sees it: the spec to create one and the view to show one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from oppscout.core.db.tables import WatchRow

HOURLY, DAILY, WEEKLY = 1, 24, 168


def cadence_label(hours: int) -> str:
    """'hourly', 'daily', 'weekly' or 'every N hours'."""
    return {HOURLY: "hourly", DAILY: "daily", WEEKLY: "weekly"}.get(hours, f"every {hours} hours")


@dataclass(frozen=True)
class WatchSpec:
    """What to watch, as the parser understood it; None takes the default from settings."""

    subreddits: Sequence[str]
    keywords: Sequence[str] = ()
    threshold: int | None = None
    cadence_hours: int | None = None
    monthly_budget: Decimal | None = None
    push: bool = True
    email: bool = False


@dataclass(frozen=True)
class WatchView:
    """A stored watch, ready to describe in chat."""

    id: int
    platform: str
    workspace_id: str
    owner_id: str
    channel_id: str
    thread_id: str
    subreddits: list[str]
    keywords: list[str]
    threshold: int
    cadence_hours: int
    monthly_budget: Decimal
    push: bool
    email: bool
    active: bool
    next_run_at: datetime
    spent_this_month: Decimal = Decimal("0")
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, row: WatchRow, spent: Decimal = Decimal("0")) -> WatchView:
        """The view of a row."""
        return cls(
            row.id, row.platform, row.workspace_id, row.owner_id, row.channel_id, row.thread_id,
            list(row.subreddits), list(row.keywords), row.threshold, row.cadence_hours,
            row.monthly_budget_usd, row.push, row.email, row.active, row.next_run_at, spent,
        )  # fmt: skip

    @property
    def title(self) -> str:
        """Subreddits and keywords, short: 'r/SaaS · churn'."""
        subs = ", ".join(f"r/{s}" for s in self.subreddits)
        return f"{subs} · {', '.join(self.keywords)}" if self.keywords else subs

    def describe(self) -> str:
        """One line for a list of watches."""
        state = "" if self.active else " (paused)"
        channels = " and ".join(c for c, on in (("DM", self.push), ("email", self.email)) if on) or "no channel"
        return (
            f"#{self.id} {self.title}: {cadence_label(self.cadence_hours)}, alert at score {self.threshold}+ by "
            f"{channels}, ${self.spent_this_month:.2f} of ${self.monthly_budget:.2f} used this month{state}"
        )

    def confirmation(self) -> str:
        """What to say when the watch was created."""
        text = (
            f"Watching {self.title} {cadence_label(self.cadence_hours)} (watch #{self.id}). I'll DM you when an "
            f"opportunity scores {self.threshold} or more, or a theme grows sharply; budget "
            f"${self.monthly_budget:.2f} a month."
        )
        return " ".join([text, *self.notes])
