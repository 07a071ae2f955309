"""Serving the web app with uvicorn: the body of ``oppscout web``."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

import uvicorn
from starlette.routing import BaseRoute

from oppscout.bot.web.app import create_app
from oppscout.core.settings import Settings
from oppscout.runtime import Runtime


class _Server(uvicorn.Server):
    """uvicorn's server, except that a stop signal ends ``serve`` normally instead of re-raising it.

    uvicorn re-raises SIGINT/SIGTERM after its graceful shutdown, which would kill the process before
    the runtime closes (and an embedded Redis would be left running).
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Let uvicorn handle the signals, then forget them once the server has shut down."""
        with super().capture_signals():
            yield
            self._captured_signals.clear()


RoutesFactory = Callable[[Runtime], Sequence[BaseRoute]]


async def serve(
    settings: Settings, *, host: str | None = None, port: int | None = None, extra_routes: RoutesFactory | None = None
) -> None:
    """Open the runtime, serve the API and Socket.IO until stopped (Ctrl-C / SIGTERM), then close cleanly.

    ``extra_routes`` builds routes other interfaces mount here (the Slack Events endpoint) once the
    runtime is open.
    """
    runtime = await Runtime.open(settings)
    try:
        app = create_app(runtime, extra_routes=extra_routes(runtime) if extra_routes else ())
        config = uvicorn.Config(
            app,
            host=host or settings.web_host,
            port=settings.web_port if port is None else port,
            log_level=settings.log_level.lower(),
            # The app answers 413 itself; this bounds what uvicorn buffers for websocket frames.
            ws_max_size=settings.web_max_body_bytes,
            proxy_headers=True,
            # Long-polling clients hold a request open for up to the ping interval; do not wait that out.
            timeout_graceful_shutdown=10,
        )
        await _Server(config).serve()
    finally:
        await runtime.close()
