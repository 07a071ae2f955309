"""Queries about spend across analyses: per workspace and person per month, and the caps on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.db.repositories.ledger import spend_by_analysis
from oppscout.core.db.repositories.upsert import insert_ignoring_duplicates
from oppscout.core.db.tables import AnalysisRow, SpendCapRow, WatchRow, WatchRunRow


@dataclass(frozen=True)
class AnalysisSpend:
    """One analysis of the month with its spend and who it counts against."""

    analysis_id: str
    status: str
    user_id: str | None
    platform: str
    request: dict[str, Any]
    created_at: datetime
    spent: Decimal
    reserved: Decimal
    watch_id: int | None


@dataclass(frozen=True)
class CapOverride:
    """A workspace's own caps; None keeps the setting."""

    workspace_monthly: Decimal | None
    user_monthly: Decimal | None


class SpendRepository:
    """Reads spend and caps inside the caller's unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def analyses_between(self, workspace_id: str, start: datetime, end: datetime) -> list[AnalysisSpend]:
        """Every analysis of a workspace created in [start, end), with settled and held spend.

        A watch run has no requester on its analysis row; it counts against the watch's owner.
        """
        zero = Decimal("0")
        ledger = spend_by_analysis()
        query = (
            select(
                AnalysisRow.id,
                AnalysisRow.status,
                func.coalesce(AnalysisRow.requested_by, WatchRow.owner_id),
                AnalysisRow.platform,
                AnalysisRow.request,
                AnalysisRow.created_at,
                func.coalesce(ledger.c.spent, zero),
                func.coalesce(ledger.c.reserved, zero),
                WatchRunRow.watch_id,
            )
            .outerjoin(ledger, ledger.c.analysis_id == AnalysisRow.id)
            .outerjoin(WatchRunRow, WatchRunRow.analysis_id == AnalysisRow.id)
            .outerjoin(WatchRow, WatchRow.id == WatchRunRow.watch_id)
            .where(
                AnalysisRow.workspace_id == workspace_id,
                AnalysisRow.created_at >= start,
                AnalysisRow.created_at < end,
            )
            .order_by(AnalysisRow.created_at)
        )
        rows = (await self.session.execute(query)).all()
        return [
            AnalysisSpend(
                analysis_id=r[0],
                status=r[1],
                user_id=r[2],
                platform=r[3],
                request=r[4],
                created_at=r[5],
                spent=Decimal(str(r[6])),
                reserved=Decimal(str(r[7])),
                watch_id=r[8],
            )
            for r in rows
        ]

    async def caps(self, workspace_id: str) -> CapOverride:
        """The workspace's own caps (both None when it has none)."""
        row = await self.session.get(SpendCapRow, workspace_id)
        if row is None:
            return CapOverride(None, None)
        return CapOverride(row.workspace_monthly_usd, row.user_monthly_usd)

    async def set_caps(
        self, workspace_id: str, workspace_monthly: Decimal | None, user_monthly: Decimal | None, now: datetime
    ) -> None:
        """Set a workspace's own caps; None falls back to the settings."""
        values = {"workspace_monthly_usd": workspace_monthly, "user_monthly_usd": user_monthly, "updated_at": now}
        inserted = await insert_ignoring_duplicates(
            self.session, SpendCapRow, [{"workspace_id": workspace_id, **values}]
        )
        if not inserted:
            await self.session.execute(
                update(SpendCapRow).where(SpendCapRow.workspace_id == workspace_id).values(**values)
            )
