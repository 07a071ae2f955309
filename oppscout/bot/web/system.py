"""Routes about the service itself: health, feature flags and Prometheus metrics (no token needed)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from oppscout.bot.web.health import HealthMonitor
from oppscout.bot.web.metrics import WebMetrics
from oppscout.core.health import ComponentState, Features, HealthReport, derive_features


def _health(request: Request) -> HealthMonitor:
    monitor: HealthMonitor = request.app.state.health
    return monitor


def system_router() -> APIRouter:
    """``/api/v1/health``, ``/api/v1/features`` and ``/metrics``."""
    router = APIRouter()

    @router.get(
        "/api/v1/health",
        response_model=HealthReport,
        tags=["service"],
        summary="Health of every part",
        responses={503: {"model": HealthReport, "description": "An essential part (database or queue) is down."}},
    )
    async def health(request: Request) -> JSONResponse:
        """Each part as healthy, degraded, down or disabled (not configured); 503 when the service is down."""
        report = await _health(request).report()
        status = 503 if report.status == ComponentState.DOWN else 200
        return JSONResponse(report.model_dump(mode="json"), status_code=status)

    @router.get("/api/v1/features", response_model=Features, tags=["service"], summary="What the UI may offer now")
    async def features(request: Request) -> Features:
        """Feature flags derived from health, with a message for each feature that is off."""
        return derive_features(await _health(request).report())

    @router.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        """Prometheus text format."""
        collector: WebMetrics = request.app.state.metrics
        body = await collector.render(request.app.state.runtime, await _health(request).report())
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router
