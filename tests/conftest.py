"""Shared fixtures: one embedded Redis per test session, a fresh SQLite database per test."""

from __future__ import annotations

import asyncio
import io
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from redis.asyncio import Redis

from oppscout.core.db.database import Database
from oppscout.core.settings import Settings
from oppscout.jobs.redis_server import EmbeddedRedis
from oppscout.runtime import Runtime

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
# A test still running after this many seconds prints what every task awaits, before pytest-timeout
# (300 s) stops it: its own dump shows only threads, and a stuck test here is an idle event loop.
STUCK_AFTER = 240.0


def _print_tasks(name: str) -> None:
    out = io.StringIO()
    tasks = asyncio.all_tasks()
    print(f"\n{name} still running after {STUCK_AFTER:.0f} s; {len(tasks)} tasks:", file=out)
    for task in tasks:
        task.print_stack(limit=12, file=out)
    print(out.getvalue(), file=sys.stderr, flush=True)


@pytest.fixture(autouse=True)
async def no_task_outlives_its_test(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """The event loop is shared by the session, so a task a test leaves running (a worker of a
    test that timed out) would go on taking jobs from later tests' queues: it is cancelled here,
    and named. A test that hangs prints every task's stack first."""
    before = asyncio.all_tasks()
    handle = asyncio.get_running_loop().call_later(STUCK_AFTER, _print_tasks, request.node.nodeid)
    yield
    handle.cancel()
    leaked = asyncio.all_tasks() - before - {asyncio.current_task()}
    for task in leaked:
        print(f"{request.node.nodeid} left a task running: {task.get_coro()!r}; cancelling it", file=sys.stderr)
        task.cancel()
    if leaked:
        await asyncio.wait(leaked, timeout=5)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis server for the whole session (the embedded one, as on a laptop)."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    url = server.start()
    yield url
    server.stop()


@pytest.fixture
async def clean_redis(redis_url: str) -> str:
    """The session's Redis, emptied before the test."""
    client = Redis.from_url(redis_url)
    await client.flushall()
    await client.aclose()
    return redis_url


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str | None]:
    """None (SQLite in the test's data dir) or, when OPPSCOUT_TEST_DATABASE_URL names a PostgreSQL
    server, a fresh database on it that is dropped after the test."""
    server = os.environ.get("OPPSCOUT_TEST_DATABASE_URL")
    if not server:
        yield None
        return
    name = f"oppscout_test_{uuid.uuid4().hex[:12]}"
    admin = server.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    yield f"{server.rsplit('/', 1)[0]}/{name}"
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture
def settings(tmp_path: Path, clean_redis: str, database_url: str | None) -> Settings:
    """Settings for one test: its own data dir and database, the shared Redis, fast progress."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        redis_url=clean_redis,
        progress_interval_seconds=0,
        queue_name=f"oppscout:test:{os.getpid()}",
        _env_file=None,
    )


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    """A migrated, empty database."""
    db = Database(settings.resolved_database_url)
    await db.migrate()
    yield db
    await db.close()


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Database, Redis, queue and service wired as the CLI wires them."""
    rt = await Runtime.open(settings)
    yield rt
    await rt.close()


@pytest.fixture
def shared_dir() -> Path:
    """The shared data folder beside the project; tests that need it skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared is not beside the project (looked in {SHARED}); CI always provides it")
    return SHARED
