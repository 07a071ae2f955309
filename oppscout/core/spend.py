"""Spend governance across analyses: monthly caps per workspace and per person, and the spend report.

What an analysis *commits* is what it can still cost at most: its settled spend once it is
final, its whole budget (maxCost) while it is queued or running, since it may spend up to that.
A request is refused when its budget on top of what is committed this month would pass a cap,
so a cap holds even while several analyses run at once. Reading chat messages with the LLM is
charged to the workspace and the person who wrote them (no analysis exists yet when it happens),
and counts against the same caps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from oppscout.core.contract import AnalysisStatus, utcnow
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.chat_reads import ChatReadRepository
from oppscout.core.db.repositories.spend import AnalysisSpend, SpendRepository
from oppscout.core.errors import BudgetExceededError
from oppscout.core.settings import Settings
from oppscout.core.wording import usd

ZERO = Decimal("0")


class SpendCapExceededError(BudgetExceededError):
    """A request would take the workspace or the person past a monthly cap; the message says what is left."""

    def __init__(self, message: str, *, left: Decimal) -> None:
        super().__init__(message)
        self.left = left


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The calendar month (UTC) containing ``now``: [start, next start)."""
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def committed(spend: AnalysisSpend) -> Decimal:
    """The most this analysis can still have cost by the end: settled when final, its budget before."""
    if AnalysisStatus(spend.status).is_final:
        return spend.spent
    budget = Decimal(str(spend.request.get("max_cost", spend.request.get("maxCost", 0))))
    return max(budget, spend.spent + spend.reserved)


@dataclass(frozen=True)
class Caps:
    """The monthly caps in force for a workspace (None: no cap)."""

    workspace: Decimal | None
    per_user: Decimal | None


@dataclass(frozen=True)
class SpendLine:
    """One row of the spend report."""

    label: str
    spent: Decimal
    committed: Decimal


@dataclass(frozen=True)
class SpendReport:
    """Spend of a workspace this month, by person and by analysis, and what the caps leave."""

    month: str
    total_spent: Decimal
    total_committed: Decimal
    caps: Caps
    by_user: list[SpendLine]
    by_analysis: list[SpendLine]
    user_id: str | None = None
    user_committed: Decimal = ZERO

    @property
    def workspace_left(self) -> Decimal | None:
        """What the workspace can still commit this month (None without a cap)."""
        return None if self.caps.workspace is None else max(ZERO, self.caps.workspace - self.total_committed)

    @property
    def user_left(self) -> Decimal | None:
        """What the asking person can still commit this month (None without a cap)."""
        return None if self.caps.per_user is None else max(ZERO, self.caps.per_user - self.user_committed)

    def render(self, *, max_lines: int = 10) -> str:
        """The report as chat text."""
        lines = [f"Spend for {self.month}: {usd(self.total_spent)} spent"]
        if self.total_committed > self.total_spent:
            lines[0] += f" ({usd(self.total_committed - self.total_spent)} more held by running analyses)"
        lines[0] += "."
        if self.workspace_left is not None and self.caps.workspace is not None:
            lines.append(f"Workspace cap {usd(self.caps.workspace)}: {usd(self.workspace_left)} left this month.")
        if self.user_left is not None and self.caps.per_user is not None:
            lines.append(f"Your cap {usd(self.caps.per_user)}: {usd(self.user_left)} left this month.")
        if not self.by_analysis:
            lines.append("No analyses this month yet.")
            return "\n".join(lines)
        lines.append("By person:")
        lines += [f"• {line.label}: {usd(line.spent)}" for line in self.by_user[:max_lines]]
        lines.append("By analysis:")
        lines += [f"• {line.label}: {usd(line.spent)}" for line in self.by_analysis[:max_lines]]
        if len(self.by_analysis) > max_lines:
            lines.append(f"…and {len(self.by_analysis) - max_lines} more.")
        return "\n".join(lines)


def _analysis_label(spend: AnalysisSpend) -> str:
    subs = ", ".join(f"r/{s}" for s in spend.request.get("subreddits", [])[:3])
    kind = f"watch #{spend.watch_id}" if spend.watch_id is not None else "analysis"
    return f"{kind} {spend.analysis_id[:8]} ({subs}, {spend.created_at:%b %d}, {spend.status})"


class SpendGovernor:
    """Checks requests against the monthly caps and reports spend; caps come from settings or the database."""

    def __init__(self, database: Database, settings: Settings, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock

    async def caps(self, workspace_id: str) -> Caps:
        """The caps in force: the workspace's own where set, else the settings."""
        async with self.database.unit_of_work() as session:
            override = await SpendRepository(session).caps(workspace_id)
        return Caps(
            override.workspace_monthly
            if override.workspace_monthly is not None
            else self.settings.workspace_monthly_cap_usd,
            override.user_monthly if override.user_monthly is not None else self.settings.user_monthly_cap_usd,
        )

    async def set_caps(
        self, workspace_id: str, *, workspace_monthly: Decimal | None, user_monthly: Decimal | None
    ) -> Caps:
        """Give a workspace its own caps (None falls back to the settings); returns the caps now in force."""
        async with self.database.unit_of_work() as session:
            await SpendRepository(session).set_caps(workspace_id, workspace_monthly, user_monthly, self.clock())
        return await self.caps(workspace_id)

    async def _month(self, workspace_id: str) -> Sequence[AnalysisSpend]:
        start, end = month_bounds(self.clock())
        async with self.database.unit_of_work() as session:
            return await SpendRepository(session).analyses_between(workspace_id, start, end)

    async def _reads(self, workspace_id: str) -> dict[str | None, Decimal]:
        start, end = month_bounds(self.clock())
        async with self.database.unit_of_work() as session:
            return await ChatReadRepository(session).by_user_between(workspace_id, start, end)

    async def room(self, workspace_id: str, user_id: str | None) -> Decimal | None:
        """The most a new request of this person may commit now (None when no cap applies)."""
        caps = await self.caps(workspace_id)
        if caps.workspace is None and caps.per_user is None:
            return None
        rows = await self._month(workspace_id)
        reads = await self._reads(workspace_id)
        limits: list[Decimal] = []
        if caps.workspace is not None:
            limits.append(caps.workspace - sum((committed(r) for r in rows), ZERO) - sum(reads.values(), ZERO))
        if caps.per_user is not None and user_id is not None:
            mine = sum((committed(r) for r in rows if r.user_id == user_id), ZERO) + reads.get(user_id, ZERO)
            limits.append(caps.per_user - mine)
        return max(ZERO, min(limits)) if limits else None

    async def check(self, workspace_id: str, user_id: str | None, max_cost: Decimal) -> None:
        """Raise SpendCapExceededError when a request with budget ``max_cost`` would pass a monthly cap."""
        caps = await self.caps(workspace_id)
        if caps.workspace is None and caps.per_user is None:
            return
        rows = await self._month(workspace_id)
        reads = await self._reads(workspace_id)
        month = month_bounds(self.clock())[0].strftime("%B")
        if caps.workspace is not None:
            left = max(ZERO, caps.workspace - sum((committed(r) for r in rows), ZERO) - sum(reads.values(), ZERO))
            if max_cost > left:
                raise SpendCapExceededError(
                    f"That needs a budget of {usd(max_cost)}, but this workspace has only {usd(left)} left of its "
                    f"{usd(caps.workspace)} cap for {month}. Ask for a budget of {usd(left)} or less, "
                    "or ask an admin to raise the cap.",
                    left=left,
                )
        if caps.per_user is not None and user_id is not None:
            mine = sum((committed(r) for r in rows if r.user_id == user_id), ZERO) + reads.get(user_id, ZERO)
            left = max(ZERO, caps.per_user - mine)
            if max_cost > left:
                raise SpendCapExceededError(
                    f"That needs a budget of {usd(max_cost)}, but you have only {usd(left)} left of your "
                    f"{usd(caps.per_user)} personal cap for {month}. Ask for a budget of {usd(left)} or less.",
                    left=left,
                )

    async def report(self, workspace_id: str, user_id: str | None = None) -> SpendReport:
        """Spend this month by person and by analysis, biggest first."""
        caps = await self.caps(workspace_id)
        rows = await self._month(workspace_id)
        reads = await self._reads(workspace_id)
        users: dict[str, tuple[Decimal, Decimal]] = {}
        for r in rows:
            spent, held = users.get(r.user_id or "(API)", (ZERO, ZERO))
            users[r.user_id or "(API)"] = (spent + r.spent, held + committed(r))
        for reader, cost in reads.items():
            spent, held = users.get(reader or "(API)", (ZERO, ZERO))
            users[reader or "(API)"] = (spent + cost, held + cost)
        by_user = sorted(
            (SpendLine(u, s, c) for u, (s, c) in users.items()), key=lambda line: (-line.spent, line.label)
        )
        by_analysis = sorted(
            (SpendLine(_analysis_label(r), r.spent, committed(r)) for r in rows),
            key=lambda line: -line.spent,
        )
        read_total = sum(reads.values(), ZERO)
        if read_total:
            by_analysis.append(SpendLine("reading chat messages with the AI", read_total, read_total))
        return SpendReport(
            month=month_bounds(self.clock())[0].strftime("%B %Y"),
            total_spent=sum((r.spent for r in rows), ZERO) + read_total,
            total_committed=sum((committed(r) for r in rows), ZERO) + read_total,
            caps=caps,
            by_user=by_user,
            by_analysis=by_analysis,
            user_id=user_id,
            user_committed=sum((committed(r) for r in rows if user_id and r.user_id == user_id), ZERO)
            + (reads.get(user_id, ZERO) if user_id else ZERO),
        )
