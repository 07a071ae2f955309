"""Shared fixtures: one embedded Redis per test session, a fresh SQLite database per test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from oppscout.core.db.database import Database
from oppscout.core.settings import Settings
from oppscout.jobs.redis_server import EmbeddedRedis
from oppscout.runtime import Runtime

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


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
def settings(tmp_path: Path, clean_redis: str) -> Settings:
    """Settings for one test: its own data dir and SQLite file, the shared Redis, fast progress."""
    return Settings(
        data_dir=tmp_path / "data",
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
