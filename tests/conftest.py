"""Shared fixtures: one embedded Redis per test session, a fresh SQLite database per test."""

from __future__ import annotations

import os
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
