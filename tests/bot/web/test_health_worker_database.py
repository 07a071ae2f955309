"""/health shows a database outage that only a worker sees, while it lasts, and logs it once."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from oppscout.bot.web.app import create_app
from oppscout.core.db.database import Database
from oppscout.core.health import Component, component_report_key
from oppscout.runtime import Runtime
from tests.bot.web.conftest import web_settings_for
from tests.helpers import read_only_database
from tests.jobs.worker_harness import running_worker

OUTAGE_LINE = "database outage seen by this worker"


async def health(client: httpx.AsyncClient) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get("/api/v1/health")).json()
    return body


async def until_database(client: httpx.AsyncClient, status: str, limit: float = 15) -> dict[str, Any]:
    """Poll /health until the database shows ``status``; the whole report then."""
    async with asyncio.timeout(limit):
        while True:
            body = await health(client)
            if body["components"]["database"]["status"] == status:
                return body
            await asyncio.sleep(0.2)


def lines(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(text in r.getMessage() for r in caplog.records)


async def test_a_worker_that_cannot_write_makes_health_degraded_until_its_writes_work_again(
    tmp_path: Path, clean_redis: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="oppscout.jobs")
    # The reconcile cron checks the database each second here (30 s by default).
    settings = web_settings_for(tmp_path, clean_redis, reconcile_interval_seconds=1)
    runtime = await Runtime.open(settings)
    read_only = read_only_database(settings.resolved_database_url)
    try:
        async with (
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=create_app(runtime)), base_url="http://testserver"
            ) as client,
            running_worker(runtime) as worker,
        ):
            runner = worker.ctx["runner"]
            writable = runner.database
            before = (await health(client))["components"]["database"]

            # The worker's disk fills up; the web's connection still writes.
            runner.database = read_only
            during = await until_database(client, "degraded")
            await asyncio.sleep(3)  # several more reconcile ticks of the same outage
            still = await health(client)

            runner.database = writable
            after = await until_database(client, "healthy")
            left = await runtime.redis.get(component_report_key(Component.DATABASE))
    finally:
        await read_only.close()
        await runtime.close()
    assert before["status"] == "healthy"
    assert before["reportedBy"] == "web"

    database = during["components"]["database"]
    assert database["reportedBy"].startswith("worker ")
    assert "writes fail" in database["detail"]
    assert "reported by worker " in database["detail"]
    assert during["status"] == "degraded"  # reads work: degraded, not down
    assert still["components"]["database"]["status"] == "degraded"

    assert after["components"]["database"]["reportedBy"] == "web"
    assert left is None  # the recovered worker withdrew its report
    # One line when the outage starts, one when it ends, however many ticks it lasted; no per-tick noise.
    assert lines(caplog, OUTAGE_LINE) == 1
    assert lines(caplog, "database usable again") == 1
    assert lines(caplog, "sweep skipped") == 0


async def test_a_worker_that_cannot_reach_the_database_makes_health_down_until_it_stops(
    tmp_path: Path, clean_redis: str
) -> None:
    settings = web_settings_for(tmp_path, clean_redis, reconcile_interval_seconds=1)
    runtime = await Runtime.open(settings)
    # A database file the worker cannot even open (its mount went away).
    unreachable = Database(f"sqlite+aiosqlite:///file:{tmp_path / 'gone.db'}?mode=ro&uri=true")
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(runtime)), base_url="http://testserver"
        ) as client:
            async with running_worker(runtime) as worker:
                worker.ctx["runner"].database = unreachable
                during = await until_database(client, "down")
            # A stopped worker no longer speaks for the database: its report goes with it.
            after = await health(client)
    finally:
        await unreachable.close()
        await runtime.close()
    assert during["status"] == "down"  # the database is essential: the service is down, by the usual rule
    assert "unreachable" in during["components"]["database"]["detail"]
    assert during["components"]["database"]["reportedBy"].startswith("worker ")
    assert after["components"]["database"]["status"] == "healthy"
