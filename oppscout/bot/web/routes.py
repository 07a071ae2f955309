"""REST routes for analyses: submit, read, list, follow by polling, jobs, queue position, cancel.

Every route works inside the caller's workspace: another workspace's analysis is simply not found.
"""

# No `from __future__ import annotations` here: the page-size bound in the route signatures comes from
# settings at runtime, and FastAPI must see the evaluated annotations.

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import Field, field_validator

from oppscout.bot.web.auth import CallerDep
from oppscout.bot.web.errors import ERROR_RESPONSES
from oppscout.bot.web.health import HealthMonitor
from oppscout.core import contract
from oppscout.core.contract import (
    AnalysisResponse,
    AnalysisStatus,
    CamelModel,
    ProgressUpdate,
    QueueStatus,
    Stage,
    WorkerJobStatus,
)
from oppscout.core.conversation.commands import StartAnalysis
from oppscout.core.health import notices_for
from oppscout.core.listing import AnalysisPage
from oppscout.core.schedule import current_retry_count
from oppscout.runtime import Runtime

MAX_OFFSET = 1_000_000
AnalysisId = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="The analysis id returned when it was created.")
]


class AnalysisRequest(contract.AnalysisRequest):
    """The contract's AnalysisRequest, as the API accepts it.

    Keywords that are neither text nor a list (``true``, ``42``) are refused here with a message: the
    contract's own keyword validator iterates the value and would fail with a TypeError (a 500).
    """

    @field_validator("keywords", mode="before")
    @classmethod
    def _keywords_shape(cls, value: Any) -> Any:
        if value is None or isinstance(value, str | list | tuple):
            return value
        raise ValueError("Keywords must be a list of words or phrases, like ['invoice', 'late payment'].")


class ProgressSnapshot(CamelModel):
    """Where an analysis stands now: the polling fallback for clients without Socket.IO.

    ``percent`` is the whole analysis (0-100, never going back), ``stagePercent`` the current stage's;
    ``retryCount`` counts the current stage's retries, so a poller can back off while it is retried.
    """

    analysis_id: str
    status: AnalysisStatus
    stage: Stage | None = None
    retry_count: int = Field(default=0, ge=0)
    percent: int = Field(default=0, ge=0, le=100)
    stage_percent: int = Field(default=0, ge=0, le=100)
    progress: ProgressUpdate
    notices: list[str] = Field(default_factory=list, description="Degraded parts this analysis is affected by now.")


class CancelResult(CamelModel):
    """What cancelling did."""

    analysis_id: str
    status: AnalysisStatus
    message: str


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _health(request: Request) -> HealthMonitor:
    monitor: HealthMonitor = request.app.state.health
    return monitor


def analyses_router(page_size_max: int) -> APIRouter:
    """The ``/api/v1/analyses`` routes."""
    router = APIRouter(prefix="/api/v1/analyses", tags=["analyses"], responses=ERROR_RESPONSES)

    @router.post(
        "",
        status_code=202,
        response_model=AnalysisResponse,
        summary="Start an analysis",
        response_model_exclude_none=True,
    )
    async def create_analysis(
        body: AnalysisRequest,
        request: Request,
        response: Response,
        caller: CallerDep,
        idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
    ) -> AnalysisResponse:
        """Save and queue an analysis. A repeated ``Idempotency-Key`` returns the first one (200)."""
        runtime = _runtime(request)
        key = f"api:{caller.workspace_id}:{idempotency_key}" if idempotency_key else None
        # The service applies the per-analysis cap, the monthly caps and the idempotency key, as for chat.
        submission = await runtime.service.start(
            StartAnalysis(body, workspace_id=caller.workspace_id, idempotency_key=key)
        )
        analysis = await runtime.service.get(submission.analysis_id, workspace_id=caller.workspace_id)
        if submission.duplicate:
            response.status_code = 200
        notices = [submission.message] if submission.message else []
        notices += notices_for(await _health(request).report(), analysis.status)
        if notices and not analysis.progress.message:
            # The contract has one message slot: every notice goes in it, most pressing first.
            analysis.progress.message = " ".join(notices)
        return analysis

    @router.get(
        "", response_model=AnalysisPage, summary="List the workspace's analyses", response_model_exclude_none=True
    )
    async def list_analyses(
        request: Request,
        caller: CallerDep,
        limit: Annotated[int, Query(ge=1, le=page_size_max)] = 20,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> AnalysisPage:
        """Newest first, one page at a time."""
        return await _runtime(request).service.page(caller.workspace_id, limit=limit, offset=offset)

    @router.get(
        "/{analysis_id}", response_model=AnalysisResponse, summary="Read an analysis", response_model_exclude_none=True
    )
    async def get_analysis(analysis_id: AnalysisId, request: Request, caller: CallerDep) -> AnalysisResponse:
        """The analysis with its progress, results and costs."""
        return await _runtime(request).service.get(analysis_id, workspace_id=caller.workspace_id)

    @router.get(
        "/{analysis_id}/progress",
        response_model=ProgressSnapshot,
        summary="Poll progress",
        response_model_exclude_none=True,
    )
    async def get_progress(analysis_id: AnalysisId, request: Request, caller: CallerDep) -> ProgressSnapshot:
        """Progress now, and notices about degraded parts: poll this when Socket.IO is not available."""
        service = _runtime(request).service
        analysis = await service.get(analysis_id, workspace_id=caller.workspace_id)
        progress = analysis.progress
        return ProgressSnapshot(
            analysis_id=analysis.analysis_id,
            status=analysis.status,
            stage=progress.stage,
            retry_count=current_retry_count(await service.jobs(analysis_id)),
            percent=progress.percent,
            stage_percent=progress.stage_percent,
            progress=progress,
            notices=notices_for(await _health(request).report(), analysis.status),
        )

    @router.get(
        "/{analysis_id}/jobs",
        response_model=list[WorkerJobStatus],
        summary="Stage jobs",
        response_model_exclude_none=True,
    )
    async def get_jobs(analysis_id: AnalysisId, request: Request, caller: CallerDep) -> list[WorkerJobStatus]:
        """The worker jobs, one per stage in stage order, each with an estimated completion; stages not
        reached yet are listed as queued while the analysis is not final."""
        service = _runtime(request).service
        await service.get(analysis_id, workspace_id=caller.workspace_id)
        return await service.jobs(analysis_id)

    @router.get(
        "/{analysis_id}/queue", response_model=QueueStatus, summary="Place in line", response_model_exclude_none=True
    )
    async def get_queue(analysis_id: AnalysisId, request: Request, caller: CallerDep) -> QueueStatus:
        """Position in line (1 = next; 0 = not waiting, and ``running`` says whether it runs now), the expected
        wait in seconds, and the live workers."""
        service = _runtime(request).service
        await service.get(analysis_id, workspace_id=caller.workspace_id)
        return await service.queue_status(analysis_id)

    @router.post(
        "/{analysis_id}/cancel",
        response_model=CancelResult,
        summary="Cancel an analysis",
        response_model_exclude_none=True,
    )
    async def cancel_analysis(analysis_id: AnalysisId, request: Request, caller: CallerDep) -> CancelResult:
        """Cancel a queued or running analysis; a finished one is left as it is."""
        service = _runtime(request).service
        await service.get(analysis_id, workspace_id=caller.workspace_id)
        message = await service.cancel(analysis_id)
        after = await service.get(analysis_id, workspace_id=caller.workspace_id)
        return CancelResult(analysis_id=analysis_id, status=after.status, message=message)

    return router
