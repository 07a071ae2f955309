"""What a watch is, as the chat sees it: the spec to create one and the view to show one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from oppscout.core.db.tables import WatchRow
from oppscout.core.wording import plural, usd

HOURLY, DAILY, WEEKLY = 1, 24, 168


def cadence_label(hours: int) -> str:
    """'hourly', 'daily', 'weekly' or 'every N hours'."""
    return {HOURLY: "hourly", DAILY: "daily", WEEKLY: "weekly"}.get(hours, f"every {plural(hours, 'hour')}")


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
    cost_threshold: Decimal | None = None
    """Tell the owner once a month when the watch's spend this month reaches this."""


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
    email_to: str | None = None
    """The owner's address, when email is on and one is known."""
    cost_threshold: Decimal | None = None

    @classmethod
    def of(cls, row: WatchRow, spent: Decimal = Decimal("0"), email_to: str | None = None) -> WatchView:
        """The view of a row (``email_to``: the owner's address, shown where alerts go)."""
        return cls(
            row.id, row.platform, row.workspace_id, row.owner_id, row.channel_id, row.thread_id,
            list(row.subreddits), list(row.keywords), row.threshold, row.cadence_hours,
            row.monthly_budget_usd, row.push, row.email, row.active, row.next_run_at, spent,
            email_to=email_to, cost_threshold=row.cost_threshold_usd,
        )  # fmt: skip

    @property
    def channels(self) -> str:
        """Where alerts go: 'DM', 'email to pat@example.com', 'DM and email to pat@example.com'.

        Email without a known address reaches no one yet, and says so rather than naming a channel that is silent.
        """
        email = f"email to {self.email_to}" if self.email_to else "email (once you tell me your address)"
        return " and ".join(c for c, on in (("DM", self.push), (email, self.email)) if on) or "no channel"

    @property
    def cost_alert(self) -> str | None:
        """'cost alert at $1.00 a month', or None when the watch has none."""
        return f"cost alert at {usd(self.cost_threshold)} a month" if self.cost_threshold is not None else None

    @property
    def cost_line(self) -> str:
        """'; cost alert at $1.00 a month' or nothing."""
        return f"; {self.cost_alert}" if self.cost_alert else ""

    @property
    def schedule(self) -> str:
        """How often it runs and what it alerts on: 'daily, alert at score 70+'."""
        return f"{cadence_label(self.cadence_hours)}, alert at score {self.threshold}+"

    @property
    def usage(self) -> str:
        """'$0.00 of $5.00 used this month'."""
        return f"{usd(self.spent_this_month)} of {usd(self.monthly_budget)} used this month"

    @property
    def title(self) -> str:
        """Subreddits and keywords, short: 'r/SaaS · churn'."""
        subs = ", ".join(f"r/{s}" for s in self.subreddits)
        return f"{subs} · {', '.join(self.keywords)}" if self.keywords else subs

    def describe(self) -> str:
        """One line for a list of watches."""
        state = "" if self.active else " (paused)"
        return f"#{self.id} {self.title}: {self.schedule} by {self.channels}, {self.usage}{self.cost_line}{state}"

    def confirmation(self) -> str:
        """What to say when the watch was created."""
        email = f"email you at {self.email_to}" if self.email_to else ""
        how = (
            " and ".join(w for w, on in (("DM you", self.push), (email, self.email and bool(email))) if on)
            or "tell no one"
        )
        cost = (
            f" I'll also tell you once it has cost {usd(self.cost_threshold)} in a month."
            if self.cost_threshold is not None
            else ""
        )
        text = (
            f"Watching {self.title} {cadence_label(self.cadence_hours)} (watch #{self.id}). I'll {how} when an "
            f"opportunity scores {self.threshold} or more, or a theme grows sharply; budget "
            f"{usd(self.monthly_budget)} a month.{cost}"
        )
        return " ".join([text, *self.notes])
