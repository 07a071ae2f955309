"""Queries about analyses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.contract import AnalysisStatus, utcnow
from oppscout.core.db.tables import AnalysisRow


class AnalysisRepository:
    """Reads and writes rows of ``analyses`` inside the caller's unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: AnalysisRow) -> AnalysisRow:
        """Store a new analysis."""
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, analysis_id: str, *, workspace_id: str | None = None) -> AnalysisRow | None:
        """One analysis by id, optionally only within a workspace."""
        query = select(AnalysisRow).where(AnalysisRow.id == analysis_id)
        if workspace_id is not None:
            query = query.where(AnalysisRow.workspace_id == workspace_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def get_for_update(self, analysis_id: str) -> AnalysisRow | None:
        """One analysis, locked for the rest of the unit of work where the database can lock rows."""
        query = select(AnalysisRow).where(AnalysisRow.id == analysis_id).with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def list_recent(
        self, *, workspace_id: str | None = None, limit: int = 20, offset: int = 0
    ) -> Sequence[AnalysisRow]:
        """Newest analyses first."""
        query = select(AnalysisRow).order_by(AnalysisRow.created_at.desc()).limit(limit).offset(offset)
        if workspace_id is not None:
            query = query.where(AnalysisRow.workspace_id == workspace_id)
        return (await self.session.execute(query)).scalars().all()

    async def list_queued(self, *, created_before: datetime) -> Sequence[AnalysisRow]:
        """Analyses still waiting in the database, oldest first."""
        query = (
            select(AnalysisRow)
            .where(AnalysisRow.status == AnalysisStatus.QUEUED, AnalysisRow.created_at <= created_before)
            .order_by(AnalysisRow.created_at)
        )
        return (await self.session.execute(query)).scalars().all()

    async def list_processing(self, *, started_before: datetime) -> Sequence[AnalysisRow]:
        """Analyses marked processing since before ``started_before``."""
        query = select(AnalysisRow).where(
            AnalysisRow.status == AnalysisStatus.PROCESSING, AnalysisRow.started_at <= started_before
        )
        return (await self.session.execute(query)).scalars().all()

    async def set_enqueued(self, analysis_id: str) -> None:
        """Record that the job reached the queue."""
        await self.session.execute(
            update(AnalysisRow).where(AnalysisRow.id == analysis_id).values(enqueued_at=utcnow())
        )

    async def mark_processing(self, analysis_id: str) -> bool:
        """Move a queued analysis to processing; False when it is cancelled or already final."""
        result = await self.session.execute(
            update(AnalysisRow)
            .where(
                AnalysisRow.id == analysis_id,
                AnalysisRow.status.in_([AnalysisStatus.QUEUED, AnalysisStatus.PROCESSING]),
                AnalysisRow.cancel_requested.is_(False),
            )
            .values(status=AnalysisStatus.PROCESSING, started_at=func.coalesce(AnalysisRow.started_at, utcnow()))
        )
        return bool(getattr(result, "rowcount", 0))

    async def requeue(self, analysis_id: str) -> bool:
        """Put a processing analysis back in line (its source is down); False when cancelled or final."""
        result = await self.session.execute(
            update(AnalysisRow)
            .where(
                AnalysisRow.id == analysis_id,
                AnalysisRow.status == AnalysisStatus.PROCESSING,
                AnalysisRow.cancel_requested.is_(False),
            )
            .values(status=AnalysisStatus.QUEUED)
        )
        return bool(getattr(result, "rowcount", 0))

    async def save_progress(self, analysis_id: str, progress: dict[str, Any]) -> None:
        """Keep the latest progress for polling clients."""
        await self.session.execute(update(AnalysisRow).where(AnalysisRow.id == analysis_id).values(progress=progress))

    async def finish(
        self,
        analysis_id: str,
        status: AnalysisStatus,
        *,
        results: dict[str, Any] | None = None,
        report_path: str | None = None,
        error: str | None = None,
    ) -> bool:
        """Set a final status once; False when the analysis was already final."""
        values: dict[str, Any] = {"status": status, "completed_at": utcnow(), "error": error}
        if results is not None:
            values["results"] = results
        if report_path is not None:
            values["report_path"] = report_path
        result = await self.session.execute(
            update(AnalysisRow)
            .where(
                AnalysisRow.id == analysis_id,
                AnalysisRow.status.in_([AnalysisStatus.QUEUED, AnalysisStatus.PROCESSING]),
            )
            .values(**values)
        )
        return bool(getattr(result, "rowcount", 0))

    async def request_cancel(self, analysis_id: str) -> None:
        """Flag the analysis so running stages stop at their next check."""
        await self.session.execute(
            update(AnalysisRow).where(AnalysisRow.id == analysis_id).values(cancel_requested=True)
        )

    async def is_cancel_requested(self, analysis_id: str) -> bool:
        """Whether someone asked to cancel this analysis."""
        query = select(AnalysisRow.cancel_requested).where(AnalysisRow.id == analysis_id)
        return bool((await self.session.execute(query)).scalar_one_or_none())

    async def claim_delivery(self, analysis_id: str) -> bool:
        """Take the right to deliver the final summary; only the first caller gets True."""
        result = await self.session.execute(
            update(AnalysisRow)
            .where(AnalysisRow.id == analysis_id, AnalysisRow.delivered_at.is_(None))
            .values(delivered_at=utcnow())
        )
        return bool(getattr(result, "rowcount", 0))

    async def count_by_status(self) -> dict[str, int]:
        """How many analyses are in each status."""
        query = select(AnalysisRow.status, func.count()).group_by(AnalysisRow.status)
        return {status: count for status, count in (await self.session.execute(query)).all()}
