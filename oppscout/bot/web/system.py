"""Routes about the service itself: health, feature flags and metrics (no token needed), the queue (token)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import Field
from redis.exceptions import RedisError

from oppscout.bot.web.auth import CallerDep
from oppscout.bot.web.errors import ERROR_RESPONSES
from oppscout.bot.web.health import HealthMonitor
from oppscout.bot.web.metrics import WebMetrics
from oppscout.core.contract import CamelModel
from oppscout.core.errors import QueueUnavailableError
from oppscout.core.health import Features, HealthReport, ServiceState, derive_features
from oppscout.runtime import Runtime


class QueueOverview(CamelModel):
    """The line as a whole: stage jobs waiting and the workers serving them."""

    waiting: int = Field(ge=0, description="Stage jobs waiting for a worker (running ones not counted).")
    available_workers: int = Field(ge=0, description="Live workers with a free slot.")
    total_workers: int = Field(ge=0, description="Live workers (by heartbeat).")


def _health(request: Request) -> HealthMonitor:
    monitor: HealthMonitor = request.app.state.health
    return monitor


def system_router() -> APIRouter:
    """``/api/v1/health``, ``/api/v1/features``, ``/api/v1/queue`` and ``/metrics``."""
    router = APIRouter()

    @router.get(
        "/api/v1/health",
        response_model=HealthReport,
        tags=["service"],
        summary="Health of every part",
        responses={503: {"model": HealthReport, "description": "An essential part (database or queue) is down."}},
    )
    async def health(request: Request) -> JSONResponse:
        """The contract's services (reddit-api, ai-processor, payment-service, websocket-service) and the product's
        parts, each healthy, degraded or down (parts not used here are left out); 503 when the service is down."""
        report = await _health(request).report()
        status = 503 if report.status == ServiceState.DOWN else 200
        return JSONResponse(report.model_dump(mode="json"), status_code=status)

    @router.get("/api/v1/features", response_model=Features, tags=["service"], summary="What the UI may offer now")
    async def features(request: Request) -> Features:
        """Feature flags derived from health, with a message for each feature that is off."""
        return derive_features(await _health(request).report())

    @router.get(
        "/api/v1/queue",
        response_model=QueueOverview,
        tags=["service"],
        summary="The queue and its workers",
        responses={k: v for k, v in ERROR_RESPONSES.items() if k in (401, 503)},
    )
    async def queue(request: Request, caller: CallerDep) -> QueueOverview:
        """How many jobs wait and how many workers are live; 503 while the queue is unreachable."""
        runtime: Runtime = request.app.state.runtime
        try:
            waiting = await runtime.queue.depth()
            available, total = await runtime.queue.workers()
        except (RedisError, OSError) as error:
            raise QueueUnavailableError("The job queue is unreachable right now.") from error
        return QueueOverview(waiting=waiting, available_workers=available, total_workers=total)

    @router.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        """Prometheus text format."""
        collector: WebMetrics = request.app.state.metrics
        body = await collector.render(request.app.state.runtime, await _health(request).report())
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router
