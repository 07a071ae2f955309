"""Queries about watches, their scheduled runs and the alerts they sent."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.db.repositories.ledger import spend_by_analysis
from oppscout.core.db.repositories.upsert import insert_ignoring_duplicates
from oppscout.core.db.tables import AnalysisRow, WatchAlertRow, WatchRow, WatchRunRow


@dataclass(frozen=True)
class RunCost:
    """What one watch run may cost and has cost: its budget, its analysis's status, settled and held spend."""

    max_cost: Decimal
    status: str | None
    spent: Decimal
    reserved: Decimal


def _changed(result: Any) -> bool:
    return bool(getattr(result, "rowcount", 0))


class WatchRepository:
    """Reads and writes ``watches``, ``watch_runs`` and ``watch_alerts`` inside the caller's unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---- watches -----------------------------------------------------------------------------

    async def add(self, row: WatchRow) -> WatchRow:
        """Store a new watch."""
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, watch_id: int) -> WatchRow | None:
        """One watch by id."""
        return await self.session.get(WatchRow, watch_id)

    async def list_for(self, platform: str, workspace_id: str, owner_id: str | None = None) -> Sequence[WatchRow]:
        """The watches of a workspace (of one owner when given), oldest first."""
        query = select(WatchRow).where(WatchRow.platform == platform, WatchRow.workspace_id == workspace_id)
        if owner_id is not None:
            query = query.where(WatchRow.owner_id == owner_id)
        return (await self.session.execute(query.order_by(WatchRow.id))).scalars().all()

    async def set_active(self, watch_id: int, active: bool, next_run_at: datetime | None = None) -> None:
        """Pause or resume a watch; resuming may move its next run."""
        values: dict[str, Any] = {"active": active}
        if next_run_at is not None:
            values["next_run_at"] = next_run_at
        await self.session.execute(update(WatchRow).where(WatchRow.id == watch_id).values(**values))

    async def delete(self, watch_id: int) -> None:
        """Remove a watch with its runs and alerts."""
        await self.session.execute(delete(WatchAlertRow).where(WatchAlertRow.watch_id == watch_id))
        await self.session.execute(delete(WatchRunRow).where(WatchRunRow.watch_id == watch_id))
        await self.session.execute(delete(WatchRow).where(WatchRow.id == watch_id))

    async def due(self, now: datetime, limit: int = 50, *, exclude: Collection[int] = ()) -> Sequence[WatchRow]:
        """Active watches whose next run is at or before ``now``, most overdue first, leaving out ``exclude``."""
        query = (
            select(WatchRow)
            .where(WatchRow.active.is_(True), WatchRow.next_run_at <= now)
            .order_by(WatchRow.next_run_at, WatchRow.id)
            .limit(limit)
        )
        if exclude:
            query = query.where(WatchRow.id.not_in(list(exclude)))
        return (await self.session.execute(query)).scalars().all()

    async def claim(self, watch_id: int, seen_next_run_at: datetime, next_run_at: datetime) -> bool:
        """Move a due watch's next run forward; only the one caller that saw ``seen_next_run_at`` wins.

        This conditional update is what keeps two workers from running the same watch twice.
        """
        result = await self.session.execute(
            update(WatchRow)
            .where(WatchRow.id == watch_id, WatchRow.active.is_(True), WatchRow.next_run_at == seen_next_run_at)
            .values(next_run_at=next_run_at)
        )
        return _changed(result)

    async def set_window_end(self, watch_id: int, window_end: datetime) -> None:
        """Remember up to when the watch has looked, so the next run starts there."""
        await self.session.execute(update(WatchRow).where(WatchRow.id == watch_id).values(last_window_end=window_end))

    async def claim_budget_notice(self, watch_id: int, month: str) -> bool:
        """Take the right to tell the owner the month's budget is used up; once per month."""
        result = await self.session.execute(
            update(WatchRow)
            .where(
                WatchRow.id == watch_id,
                (WatchRow.budget_notice_month.is_(None)) | (WatchRow.budget_notice_month != month),
            )
            .values(budget_notice_month=month)
        )
        return _changed(result)

    async def claim_cost_notice(self, watch_id: int, month: str) -> bool:
        """Take the right to tell the owner the watch's spend reached their cost alert; once per month."""
        result = await self.session.execute(
            update(WatchRow)
            .where(
                WatchRow.id == watch_id,
                (WatchRow.cost_notice_month.is_(None)) | (WatchRow.cost_notice_month != month),
            )
            .values(cost_notice_month=month)
        )
        return _changed(result)

    # ---- runs --------------------------------------------------------------------------------

    async def add_run(
        self, watch_id: int, window_start: datetime, window_end: datetime, max_cost: Decimal, now: datetime
    ) -> WatchRunRow:
        """The run of a watch for a window, created once."""
        await insert_ignoring_duplicates(
            self.session,
            WatchRunRow,
            [
                {
                    "watch_id": watch_id,
                    "window_start": window_start,
                    "window_end": window_end,
                    "max_cost_usd": max_cost,
                    "created_at": now,
                }
            ],
        )
        query = select(WatchRunRow).where(WatchRunRow.watch_id == watch_id, WatchRunRow.window_end == window_end)
        return (await self.session.execute(query)).scalar_one()

    async def set_run_analysis(self, run_id: int, analysis_id: str) -> None:
        """Link a run to the analysis that does its work."""
        await self.session.execute(update(WatchRunRow).where(WatchRunRow.id == run_id).values(analysis_id=analysis_id))

    async def runs_without_analysis(self, created_before: datetime) -> Sequence[WatchRunRow]:
        """Runs whose analysis was never submitted (the process stopped in between)."""
        query = select(WatchRunRow).where(WatchRunRow.analysis_id.is_(None), WatchRunRow.created_at <= created_before)
        return (await self.session.execute(query)).scalars().all()

    async def is_first_run(self, watch_id: int, run_id: int) -> bool:
        """Whether no run of the watch came before this one."""
        query = select(WatchRunRow.id).where(WatchRunRow.watch_id == watch_id, WatchRunRow.id < run_id).limit(1)
        return (await self.session.execute(query)).first() is None

    async def run_for_analysis(self, analysis_id: str) -> WatchRunRow | None:
        """The watch run an analysis belongs to, if any."""
        query = select(WatchRunRow).where(WatchRunRow.analysis_id == analysis_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def finished_unevaluated_runs(self, final_statuses: Sequence[str]) -> Sequence[WatchRunRow]:
        """Runs whose analysis ended but whose alerts were not decided yet (e.g. a missed completion event)."""
        query = (
            select(WatchRunRow)
            .join(AnalysisRow, AnalysisRow.id == WatchRunRow.analysis_id)
            .where(WatchRunRow.evaluated_at.is_(None), AnalysisRow.status.in_(list(final_statuses)))
            .order_by(WatchRunRow.id)
        )
        return (await self.session.execute(query)).scalars().all()

    async def claim_evaluation(self, run_id: int, now: datetime, themes: list[dict[str, Any]] | None) -> bool:
        """Mark a run evaluated and keep its themes; only the first caller gets True."""
        result = await self.session.execute(
            update(WatchRunRow)
            .where(WatchRunRow.id == run_id, WatchRunRow.evaluated_at.is_(None))
            .values(evaluated_at=now, themes=themes)
        )
        return _changed(result)

    async def previous_run(self, watch_id: int, before: datetime, completed_status: str) -> WatchRunRow | None:
        """The latest evaluated run whose analysis completed and whose window ended at or before ``before``."""
        query = (
            select(WatchRunRow)
            .join(AnalysisRow, AnalysisRow.id == WatchRunRow.analysis_id)
            .where(
                WatchRunRow.watch_id == watch_id,
                WatchRunRow.window_end <= before,
                WatchRunRow.evaluated_at.is_not(None),
                AnalysisRow.status == completed_status,
            )
            .order_by(WatchRunRow.window_end.desc())
            .limit(1)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def run_costs_since(self, watch_id: int, since: datetime) -> list[RunCost]:
        """Budget, analysis status and ledger sums of each run of a watch created since ``since``."""
        zero = Decimal("0")
        ledger = spend_by_analysis()
        query = (
            select(
                WatchRunRow.max_cost_usd,
                AnalysisRow.status,
                func.coalesce(ledger.c.spent, zero),
                func.coalesce(ledger.c.reserved, zero),
            )
            .outerjoin(AnalysisRow, AnalysisRow.id == WatchRunRow.analysis_id)
            .outerjoin(ledger, ledger.c.analysis_id == WatchRunRow.analysis_id)
            .where(WatchRunRow.watch_id == watch_id, WatchRunRow.created_at >= since)
        )
        return [
            RunCost(Decimal(str(budget)), status, Decimal(str(spent)), Decimal(str(reserved)))
            for budget, status, spent, reserved in (await self.session.execute(query)).all()
        ]

    # ---- alerts ------------------------------------------------------------------------------

    async def last_alert_at(self, watch_id: int, theme_key: str) -> datetime | None:
        """When this theme last alerted the watch's owner."""
        query = select(func.max(WatchAlertRow.alerted_at)).where(
            WatchAlertRow.watch_id == watch_id, WatchAlertRow.theme_key == theme_key
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add_alert(self, watch_id: int, run_id: int, theme_key: str, kind: str, score: int, now: datetime) -> None:
        """Record an alert so the cooldown can hold back repeats."""
        self.session.add(
            WatchAlertRow(watch_id=watch_id, run_id=run_id, theme_key=theme_key, kind=kind, score=score, alerted_at=now)
        )
        await self.session.flush()
