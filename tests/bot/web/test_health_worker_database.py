"""/health shows a database outage that only a worker sees, while it lasts, and logs it once."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from oppscout.bot.web.app import create_app
from oppscout.core.analysis.engine import LocalEngine
from oppscout.core.contract import AnalysisStatus
from oppscout.core.db.database import Database
from oppscout.core.health import Component, ComponentHealth, ComponentState, component_report_key
from oppscout.jobs.database_watch import DatabaseWatch
from oppscout.jobs.sources.demo import DemoSource
from oppscout.jobs.worker import build_worker, stop_worker
from oppscout.runtime import Runtime
from tests.bot.web.conftest import web_settings_for
from tests.helpers import make_request, read_only_database
from tests.jobs.worker_harness import running_worker, wait_for_status

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


async def test_a_worker_that_starts_without_the_database_makes_health_down_until_it_stops(
    tmp_path: Path, clean_redis: str
) -> None:
    runtime = await Runtime.open(web_settings_for(tmp_path, clean_redis))
    # A database file the worker cannot even open (its mount went away).
    unreachable = Database(f"sqlite+aiosqlite:///file:{tmp_path / 'gone.db'}?mode=ro&uri=true")
    worker = build_worker(runtime, source=DemoSource(), engine=LocalEngine(), handle_signals=False)
    # No reconcile cron: what /health shows here comes from the worker's start-up check.
    worker.cron_jobs = [job for job in worker.cron_jobs if job.name != "reconcile"]
    worker.ctx["runner"].database = unreachable
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(runtime)), base_url="http://testserver"
        ) as client:
            task = asyncio.create_task(worker.async_run())
            try:
                during = await until_database(client, "down", limit=10)
            finally:
                await stop_worker(worker, task)
            # A stopped worker no longer speaks for the database: its report goes with it.
            after = await health(client)
    finally:
        await unreachable.close()
        await runtime.close()
    assert during["status"] == "down"  # the database is essential: the service is down, by the usual rule
    assert "unreachable" in during["components"]["database"]["detail"]
    assert during["components"]["database"]["reportedBy"].startswith("worker ")
    assert after["components"]["database"]["status"] == "healthy"


async def test_a_stage_that_cannot_write_shows_in_health_at_once_and_its_success_clears_it(
    tmp_path: Path, clean_redis: str
) -> None:
    settings = web_settings_for(tmp_path, clean_redis)
    runtime = await Runtime.open(settings)
    read_only = read_only_database(settings.resolved_database_url)
    worker = build_worker(runtime, source=DemoSource(), engine=LocalEngine(), handle_signals=False)
    # No reconcile cron: what /health shows here comes from the stages themselves.
    worker.cron_jobs = [job for job in worker.cron_jobs if job.name != "reconcile"]
    runner = worker.ctx["runner"]
    writable = runner.database
    task = asyncio.create_task(worker.async_run())
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(runtime)), base_url="http://testserver"
        ) as client:
            runner.database = read_only  # the worker's disk is full when the analysis arrives
            analysis_id = (await runtime.service.submit(make_request())).analysis_id
            during = await until_database(client, "degraded", limit=10)

            runner.database = writable  # the disk was freed: arq's retry of the stage goes through
            await wait_for_status(runtime, analysis_id, AnalysisStatus.COMPLETED, limit=60)
            after = (await health(client))["components"]["database"]
    finally:
        await stop_worker(worker, task)
        await read_only.close()
        await runtime.close()
    assert during["components"]["database"]["reportedBy"].startswith("worker ")
    assert "writes fail" in during["components"]["database"]["detail"]
    assert after["status"] == "healthy"
    assert after["reportedBy"] == "web"


async def test_a_database_that_never_answers_is_down_after_the_timeout(tmp_path: Path, clean_redis: str) -> None:
    class Silent(Database):
        async def ping(self) -> None:
            await asyncio.Event().wait()  # a network path cut without a reset: no answer, no error

    silent = Silent(f"sqlite+aiosqlite:///{tmp_path / 'silent.db'}")
    runtime = await Runtime.open(web_settings_for(tmp_path, clean_redis))
    try:
        watch = DatabaseWatch(lambda: silent, runtime.redis, reporter="worker test", timeout=0.2)
        async with asyncio.timeout(5):
            works = await watch.tick()
        reported = await runtime.redis.get(component_report_key(Component.DATABASE))
    finally:
        await silent.close()
        await runtime.close()
    assert works is False
    assert reported is not None
    report = ComponentHealth.model_validate_json(reported)
    assert report.status == ComponentState.DOWN
    assert report.detail == "unreachable: no answer within 0.2 s"
