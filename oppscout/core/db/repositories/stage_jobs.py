"""Queries about stage jobs (one row per analysis and stage)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.contract import AnalysisStatus, Stage, utcnow
from oppscout.core.db.repositories.upsert import insert_ignoring_duplicates
from oppscout.core.db.tables import StageJobRow


class StageJobRepository:
    """Reads and writes ``stage_jobs`` inside the caller's unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, analysis_id: str, stage: Stage) -> StageJobRow | None:
        """The row of one stage, if it was ever started."""
        query = select(StageJobRow).where(StageJobRow.analysis_id == analysis_id, StageJobRow.stage == stage)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def start(self, analysis_id: str, stage: Stage) -> StageJobRow:
        """Mark a stage as processing (creating its row once) and count the attempt."""
        await insert_ignoring_duplicates(
            self.session,
            StageJobRow,
            [{"analysis_id": analysis_id, "stage": stage, "status": AnalysisStatus.QUEUED, "checkpoint": {}}],
        )
        row = await self.get(analysis_id, stage)
        assert row is not None  # inserted or already there one line above
        if row.status != AnalysisStatus.COMPLETED:
            row.status = AnalysisStatus.PROCESSING
            row.attempts += 1
            row.started_at = row.started_at or utcnow()
        await self.session.flush()
        return row

    async def update_progress(
        self,
        analysis_id: str,
        stage: Stage,
        *,
        progress: int,
        estimated_completion: datetime | None = None,
        cost: Decimal | None = None,
        checkpoint: dict[str, Any] | None = None,
    ) -> None:
        """Record progress (0-100), the ETA, the cost so far and the resume checkpoint."""
        values: dict[str, Any] = {"progress": progress, "estimated_completion": estimated_completion}
        if cost is not None:
            values["cost_accumulated"] = cost
        if checkpoint is not None:
            values["checkpoint"] = checkpoint
        await self.session.execute(
            update(StageJobRow)
            .where(StageJobRow.analysis_id == analysis_id, StageJobRow.stage == stage)
            .values(**values)
        )

    async def finish(self, analysis_id: str, stage: Stage, status: AnalysisStatus, cost: Decimal | None = None) -> None:
        """Close a stage with its final status."""
        values: dict[str, Any] = {"status": status, "finished_at": utcnow()}
        if status == AnalysisStatus.COMPLETED:
            values["progress"] = 100
        if cost is not None:
            values["cost_accumulated"] = cost
        await self.session.execute(
            update(StageJobRow)
            .where(StageJobRow.analysis_id == analysis_id, StageJobRow.stage == stage)
            .values(**values)
        )

    async def requeue(self, analysis_id: str, stage: Stage) -> None:
        """Show a stage that will be tried again later as waiting, not running."""
        await self.session.execute(
            update(StageJobRow)
            .where(
                StageJobRow.analysis_id == analysis_id,
                StageJobRow.stage == stage,
                StageJobRow.status == AnalysisStatus.PROCESSING,
            )
            .values(status=AnalysisStatus.QUEUED, estimated_completion=None)
        )

    async def finish_open(self, analysis_id: str, status: AnalysisStatus) -> None:
        """Close every stage of an analysis that is not final yet (on cancel or failure)."""
        await self.session.execute(
            update(StageJobRow)
            .where(
                StageJobRow.analysis_id == analysis_id,
                StageJobRow.status.in_([AnalysisStatus.QUEUED, AnalysisStatus.PROCESSING]),
            )
            .values(status=status, finished_at=utcnow())
        )

    async def list_for(self, analysis_id: str) -> Sequence[StageJobRow]:
        """Every stage row of one analysis."""
        query = select(StageJobRow).where(StageJobRow.analysis_id == analysis_id).order_by(StageJobRow.id)
        return (await self.session.execute(query)).scalars().all()

    async def recent_durations(self, stage: Stage, limit: int = 50) -> list[float]:
        """Seconds taken by the last completed runs of a stage, newest first."""
        query = (
            select(StageJobRow.started_at, StageJobRow.finished_at)
            .where(StageJobRow.stage == stage, StageJobRow.status == AnalysisStatus.COMPLETED)
            .order_by(StageJobRow.finished_at.desc())
            .limit(limit)
        )
        rows = (await self.session.execute(query)).all()
        return [(end - start).total_seconds() for start, end in rows if start and end]
