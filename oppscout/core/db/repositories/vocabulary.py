"""Queries for a workspace's vocabulary: the requests of its recent analyses (only the request column,
so a message never loads result payloads)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.db.tables import AnalysisRow


async def recent_requests(session: AsyncSession, workspace_id: str, *, limit: int) -> list[dict[str, Any]]:
    """The stored requests of the workspace's newest analyses, newest first."""
    query = (
        select(AnalysisRow.request)
        .where(AnalysisRow.workspace_id == workspace_id)
        .order_by(AnalysisRow.created_at.desc())
        .limit(limit)
    )
    return [dict(request) for request in (await session.execute(query)).scalars().all()]
