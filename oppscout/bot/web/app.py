"""The web application: FastAPI (REST, health, metrics) and Socket.IO in one ASGI app.

Other interfaces add their HTTP endpoints with ``extra_routes``, e.g. the Slack Events endpoint::

    create_app(runtime, extra_routes=[Mount("/slack", app=slack_asgi_app)])

Extra routes are served as they are: they do not need an API token, and they get the same request
size limit and request metrics as the API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

import socketio  # type: ignore[import-untyped]  # python-socketio ships no type information
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from oppscout.bot.web.errors import install_error_handlers
from oppscout.bot.web.health import HealthMonitor, Probe
from oppscout.bot.web.limits import BodySizeLimit, RequestCounter
from oppscout.bot.web.metrics import WebMetrics
from oppscout.bot.web.realtime import RealtimeRelay
from oppscout.bot.web.routes import analyses_router
from oppscout.bot.web.system import system_router
from oppscout.core.health import Component
from oppscout.runtime import Runtime

API_DESCRIPTION = """Opportunity Scout's web API. Authenticate with `Authorization: Bearer <token>`
(tokens come from `oppscout token create`). Realtime updates: connect Socket.IO to `/socket.io/` with
`auth={"token": ...}` and listen to `analysis-{id}` (progress, stages, notices, completion) and
`cost-{id}` (spend and warnings): every analysis of the token's workspace reaches the connection, from
its first event. `subscribe` with `{"analysisId": ...}` answers an analysis's state now (catch-up).
Without Socket.IO, poll `GET /api/v1/analyses/{id}/progress`. Optional fields are omitted, never null;
`cancelled` is this product's extension of the contract's statuses."""


class WebApp:
    """The ASGI app of ``oppscout web``, with its parts reachable for the CLI and tests."""

    def __init__(self, api: FastAPI, relay: RealtimeRelay, health: HealthMonitor, metrics: WebMetrics) -> None:
        self.api = api
        self.relay = relay
        self.health = health
        self.metrics = metrics
        self.sio = relay.sio
        self._asgi = socketio.ASGIApp(relay.sio, other_asgi_app=api, socketio_path="socket.io")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Socket.IO under ``/socket.io/``, everything else to FastAPI (which also runs the lifespan)."""
        await self._asgi(scope, receive, send)


def create_app(
    runtime: Runtime,
    *,
    extra_routes: Sequence[BaseRoute] = (),
    extra_probes: Mapping[Component, Probe] | None = None,
) -> WebApp:
    """Build the app on an open ``runtime``; the relay starts and stops with the ASGI lifespan."""
    settings = runtime.settings
    metrics = WebMetrics()
    health = HealthMonitor(runtime, extra_probes)
    relay = RealtimeRelay(runtime, metrics, health)
    if extra_probes is None or Component.WEBSOCKET_SERVICE not in extra_probes:
        health.probes[Component.WEBSOCKET_SERVICE] = relay.probe

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await relay.start()
        try:
            yield
        finally:
            await relay.stop()

    api = FastAPI(
        title="Opportunity Scout",
        version="1.0.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        routes=list(extra_routes),
    )
    api.state.runtime = runtime
    api.state.health = health
    api.state.metrics = metrics
    install_error_handlers(api)
    api.include_router(analyses_router(settings.web_page_size_max))
    api.include_router(system_router())
    if settings.web_cors_origins:
        api.add_middleware(
            CORSMiddleware,
            allow_origins=settings.web_cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        )
    # Added last = outermost: the size limit answers before any route or body parsing runs.
    api.add_middleware(RequestCounter, metrics=metrics)
    api.add_middleware(
        BodySizeLimit,
        limit=settings.web_max_body_bytes,
        paths={settings.slack_events_path: settings.slack_max_event_bytes},
    )
    return WebApp(api, relay, health, metrics)
