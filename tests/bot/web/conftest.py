"""Fixtures for the web API: a real uvicorn server on 127.0.0.1 in its own thread, tokens, analyses.

The server runs in a thread with its own event loop (as `oppscout web` would in its own process),
so tests talk to it over real TCP: httpx for REST, python-socketio's client for Socket.IO, and
schemathesis's synchronous client for the property tests.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import uvicorn

from oppscout.bot.web.app import WebApp, create_app
from oppscout.core.contract import AnalysisRequest, TimeRange, utcnow
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.repositories.api_tokens import ApiTokenRepository
from oppscout.core.db.tables import AnalysisRow
from oppscout.core.settings import Settings
from oppscout.runtime import Runtime


def web_settings_for(data_dir: Path, redis_url: str, **overrides: object) -> Settings:
    """Settings of a test web server: its own data dir, the session's Redis, no health caching."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "redis_url": redis_url,
        "queue_name": f"oppscout:webtest:{os.getpid()}:{data_dir.name}",
        "health_cache_seconds": 0,
        "progress_interval_seconds": 0,
        "web_max_body_bytes": 8192,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


class ServerThread:
    """`oppscout web` in a thread: its own loop, its own Runtime, a real uvicorn socket on 127.0.0.1."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = 0
        self.app: WebApp | None = None
        self._server: uvicorn.Server | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="web-server", daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        """Start and wait until the socket listens."""
        self._thread.start()
        if not self._ready.wait(timeout=60):
            raise RuntimeError("web server did not start within 60 s")
        if self._error is not None:
            raise RuntimeError("web server failed to start") from self._error
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread."""
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(timeout=30)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:
            self._error = error
            self._ready.set()

    async def _serve(self) -> None:
        runtime = await Runtime.open(self.settings)
        try:
            self.app = create_app(runtime)
            config = uvicorn.Config(
                self.app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", timeout_graceful_shutdown=2
            )
            self._server = uvicorn.Server(config)
            serving = asyncio.create_task(self._server.serve())
            while not self._server.started and not serving.done():
                await asyncio.sleep(0.02)
            if serving.done():
                await serving
            self.port = self._server.servers[0].sockets[0].getsockname()[1]
            self._ready.set()
            await serving
        finally:
            await runtime.close()


@dataclass
class WebEnv:
    """A running server plus a Runtime in the test's loop on the same database and Redis."""

    server: ServerThread
    runtime: Runtime

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return self.server.url

    async def token(self, workspace: str) -> str:
        """A fresh API token for ``workspace``."""
        async with self.runtime.database.unit_of_work() as session:
            return (await ApiTokenRepository(session).create(workspace, "test")).secret

    async def analysis(self, workspace: str, *, queue: bool = False) -> str:
        """An analysis of ``workspace`` (not on the queue unless asked, so no worker picks it up)."""
        if queue:
            return (await self.runtime.service.submit(sample_request(), workspace_id=workspace)).analysis_id
        return await add_analysis(self.runtime, workspace)


async def add_analysis(runtime: Runtime, workspace: str) -> str:
    """A queued analysis row of ``workspace``, written straight to the database (never enqueued)."""
    row = AnalysisRow(
        id=os.urandom(16).hex(),
        status="queued",
        request=sample_request().model_dump(mode="json"),
        workspace_id=workspace,
        platform="api",
        requested_by=None,
        created_at=utcnow(),
        progress={},
    )
    async with runtime.database.unit_of_work() as session:
        await AnalysisRepository(session).add(row)
    return row.id


def sample_request(days: int = 30, max_cost: str = "0.5") -> AnalysisRequest:
    """A small valid request over the demo subreddits."""
    now = utcnow()
    return AnalysisRequest(
        subreddits=["smallbusiness", "freelance"],
        time_range=TimeRange(start=now - timedelta(days=days), end=now),
        keywords=["invoice"],
        max_cost=Decimal(max_cost),
    )


def request_json(**changes: object) -> dict[str, object]:
    """The JSON body of ``sample_request`` with top-level fields replaced."""
    body: dict[str, object] = sample_request().model_dump(mode="json")
    body.update(changes)
    return body


@pytest.fixture(scope="module")
def web_server(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """One server per test module (starting one costs a migration; tests use their own workspaces)."""
    settings = web_settings_for(tmp_path_factory.mktemp("web"), redis_url)
    server = ServerThread(settings).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def web(web_server: ServerThread) -> AsyncIterator[WebEnv]:
    """The module's server and a Runtime beside it for setting up tokens, analyses and events."""
    runtime = await Runtime.open(web_server.settings)
    yield WebEnv(web_server, runtime)
    await runtime.close()


@pytest.fixture
async def http(web: WebEnv) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the module's server."""
    async with httpx.AsyncClient(base_url=web.url, timeout=30) as client:
        yield client
