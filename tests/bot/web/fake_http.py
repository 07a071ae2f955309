"""A tiny HTTP server on 127.0.0.1 standing in for an upstream API (an LLM endpoint, Reddit).

It answers every request with the status the test sets, so health probes see real HTTP replies.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class FakeUpstream:
    """Answers ``status`` to any GET and records the paths and Authorization headers it saw."""

    def __init__(self) -> None:
        self.status = 200
        self.seen: list[tuple[str, str | None]] = []
        self.port = 0

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    async def _answer(self, request: Request) -> JSONResponse:
        self.seen.append((request.url.path, request.headers.get("authorization")))
        return JSONResponse({"object": "list", "data": []}, status_code=self.status)


@asynccontextmanager
async def fake_upstream() -> AsyncIterator[FakeUpstream]:
    """Run a FakeUpstream in this event loop for the duration of the block."""
    from starlette.applications import Starlette

    fake = FakeUpstream()
    app = Starlette(routes=[Route("/{path:path}", fake._answer, methods=["GET"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task
        await asyncio.sleep(0.01)
    fake.port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield fake
    finally:
        server.should_exit = True
        await task


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (the port is bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
