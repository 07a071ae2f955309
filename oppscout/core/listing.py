"""The analysis listing: one page of a workspace's analyses, newest first, as every interface shows it."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from oppscout.core.contract import AnalysisStatus, CamelModel, Stage, UtcDateTime
from oppscout.core.db.tables import AnalysisRow


class AnalysisSummary(CamelModel):
    """One line of the analysis listing."""

    analysis_id: str
    status: AnalysisStatus
    created_at: UtcDateTime
    completed_at: UtcDateTime | None = None
    platform: str
    subreddits: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    stage: Stage | None = None
    percent: int = 0


class AnalysisPage(CamelModel):
    """A page of analyses, newest first; ask for ``nextOffset`` for the next page (absent at the end)."""

    items: list[AnalysisSummary]
    limit: int
    offset: int
    next_offset: int | None = None


def summary_of(row: AnalysisRow) -> AnalysisSummary:
    """The listing line of one stored analysis."""
    progress = row.progress or {}
    return AnalysisSummary(
        analysis_id=row.id,
        status=AnalysisStatus(row.status),
        created_at=row.created_at,
        completed_at=row.completed_at,
        platform=row.platform,
        subreddits=list(row.request.get("subreddits", [])),
        keywords=list(row.request.get("keywords") or []),
        stage=progress.get("stage"),
        percent=int(progress.get("percent", 0)),
    )


def page_of(rows: Sequence[AnalysisRow], *, limit: int, offset: int) -> AnalysisPage:
    """The page for ``rows`` read with one row more than ``limit``: that extra row says a next page exists."""
    return AnalysisPage(
        items=[summary_of(row) for row in rows[:limit]],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if len(rows) > limit else None,
    )
