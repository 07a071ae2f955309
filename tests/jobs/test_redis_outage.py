"""``oppscout worker`` rides out a Redis that is SIGKILLed and started again, as an operator's bad day goes.

A real external redis-server (no persistence: it comes back empty) and the real worker process. What
the operator would notice: the worker stays up, says once why it paused, does not print "Task exception
was never retrieved", finishes the analysis that was running and the one submitted during the outage
by itself once Redis is back, and still stops cleanly on SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from oppscout.core.contract import AnalysisStatus, Stage
from oppscout.core.db.repositories.stage_jobs import StageJobRepository
from oppscout.core.settings import Settings
from oppscout.runtime import Runtime
from tests.helpers import make_request
from tests.redis_process import RedisProcess

pytestmark = pytest.mark.slow


@pytest.fixture
async def outage_runtime(settings: Settings, tmp_path: Path) -> AsyncIterator[tuple[Runtime, RedisProcess]]:
    """A runtime on its own external redis-server, which the test may kill."""
    server = RedisProcess(tmp_path / "redis").start()
    runtime = await Runtime.open(settings.model_copy(update={"redis_url": server.url}))
    try:
        yield runtime, server
    finally:
        await runtime.close()
        server.stop()


@contextmanager
def worker_process(runtime: Runtime, log_file: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``oppscout worker`` with default leases and sweeps, its log in ``log_file``."""
    settings = runtime.settings
    env = {
        **os.environ,
        "OPPSCOUT_DATA_DIR": str(settings.data_dir),
        "OPPSCOUT_REDIS_URL": runtime.redis_url,
        "OPPSCOUT_QUEUE_NAME": settings.queue_name,
        "OPPSCOUT_DEMO_ITEM_DELAY_SECONDS": "0.005",
        "OPPSCOUT_PROGRESS_INTERVAL_SECONDS": "0.1",
        "OPPSCOUT_LOG_LEVEL": "INFO",
    }
    if settings.database_url:
        env["OPPSCOUT_DATABASE_URL"] = settings.database_url
    with log_file.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "oppscout.cli", "worker"], env=env, stderr=log, stdout=log)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


async def stage_status(runtime: Runtime, analysis_id: str, stage: Stage) -> str | None:
    async with runtime.database.unit_of_work() as session:
        row = await StageJobRepository(session).get(analysis_id, stage)
        return row.status if row else None


async def until_completed(runtime: Runtime, analysis_ids: list[str], limit: float) -> None:
    async with asyncio.timeout(limit):
        while True:
            statuses = [(await runtime.service.get(a)).status for a in analysis_ids]
            assert AnalysisStatus.FAILED not in statuses
            if all(s == AnalysisStatus.COMPLETED for s in statuses):
                return
            await asyncio.sleep(0.1)


async def test_the_worker_waits_out_a_killed_redis_and_finishes_everything_once_it_is_back(
    outage_runtime: tuple[Runtime, RedisProcess], tmp_path: Path
) -> None:
    runtime, server = outage_runtime
    log_file = tmp_path / "worker.log"
    running = (await runtime.service.submit(make_request())).analysis_id
    with worker_process(runtime, log_file) as worker:
        async with asyncio.timeout(60):
            while await stage_status(runtime, running, Stage.COMMENT_PROCESSING) != AnalysisStatus.PROCESSING:
                await asyncio.sleep(0.05)
        server.kill()
        # Submitted while Redis is down: saved, not queued; the worker's sweep queues it later.
        during = await runtime.service.submit(make_request())
        assert not during.queued
        await asyncio.sleep(6)
        assert worker.poll() is None, "the worker left with Redis"

        server.start()
        back_at = time.monotonic()
        await until_completed(runtime, [running, during.analysis_id], limit=60)
        back_to_work = time.monotonic() - back_at

        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    log = log_file.read_text()
    assert log.count("Redis is unreachable") == 1
    assert "Redis answers again" in log
    assert "Task exception was never retrieved" not in log
    assert "Traceback" not in log
    assert back_to_work < 30
    for analysis_id in (running, during.analysis_id):
        response = await runtime.service.get(analysis_id)
        assert response.results is not None
        assert response.results.opportunities
