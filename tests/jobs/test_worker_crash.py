"""A worker killed in the middle of a stage: a new worker finishes the job with nothing doubled."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from oppscout.core.contract import AnalysisStatus, Stage
from oppscout.core.corpus import ItemKind
from oppscout.core.db.repositories.items import ItemRepository
from oppscout.core.db.repositories.stage_jobs import StageJobRepository
from oppscout.core.events import CompletedEvent, ProgressEvent
from oppscout.jobs.event_bus import EventSubscription
from oppscout.jobs.sources.demo import DemoSource
from oppscout.runtime import Runtime
from tests.helpers import make_request
from tests.jobs.worker_harness import wait_for_status

pytestmark = pytest.mark.slow


@contextmanager
def worker_process(runtime: Runtime) -> Iterator[subprocess.Popen[bytes]]:
    """``oppscout worker`` as its own process, sharing the test's Redis and database."""
    settings = runtime.settings
    env = {
        **os.environ,
        "OPPSCOUT_DATA_DIR": str(settings.data_dir),
        "OPPSCOUT_REDIS_URL": runtime.redis_url,
        "OPPSCOUT_QUEUE_NAME": settings.queue_name,
        # The default stage timeout (15 min) and lease (30 s): the lease, renewed while a stage runs,
        # is what hands a killed worker's job to another within a minute.
        "OPPSCOUT_DEMO_ITEM_DELAY_SECONDS": "0.005",
        "OPPSCOUT_PROGRESS_INTERVAL_SECONDS": "0.1",
        "OPPSCOUT_LOG_LEVEL": "WARNING",
    }
    if settings.database_url:
        env["OPPSCOUT_DATABASE_URL"] = settings.database_url
    process = subprocess.Popen([sys.executable, "-m", "oppscout.cli", "worker"], env=env)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


async def stage_status(runtime: Runtime, analysis_id: str, stage: Stage) -> str | None:
    async with runtime.database.unit_of_work() as session:
        row = await StageJobRepository(session).get(analysis_id, stage)
        return row.status if row else None


async def test_a_killed_worker_is_taken_over_within_a_minute_without_duplicate_items_or_summaries(
    runtime: Runtime,
) -> None:
    request = make_request()
    async with EventSubscription(runtime.redis) as subscription:
        submission = await runtime.service.submit(request)
        analysis_id = submission.analysis_id
        with worker_process(runtime) as first:
            async with asyncio.timeout(60):
                while await stage_status(runtime, analysis_id, Stage.COMMENT_PROCESSING) != AnalysisStatus.PROCESSING:
                    await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)  # well inside the comment stage (about 2 s long)
            first.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            first.wait(timeout=10)
        assert (await runtime.service.get(analysis_id)).status == AnalysisStatus.PROCESSING

        with worker_process(runtime):
            await wait_for_status(runtime, analysis_id, AnalysisStatus.COMPLETED, limit=90)
            recovered_in = time.monotonic() - killed_at
            completed = 0
            resumed: list[str] = []
            async with asyncio.timeout(10):
                while completed == 0:
                    event = await subscription.next_event(timeout=0.5)
                    completed += isinstance(event, CompletedEvent) and event.analysis_id == analysis_id
                    if isinstance(event, ProgressEvent) and event.progress.message.startswith("resuming"):
                        resumed.append(event.progress.message)
            await asyncio.sleep(1.5)  # a second summary, if any, would arrive now
            while (event := await subscription.next_event(timeout=0.1)) is not None:
                completed += isinstance(event, CompletedEvent) and event.analysis_id == analysis_id

    assert completed == 1
    assert recovered_in < 60
    assert resumed and resumed[0].startswith("resuming reading comments (try 2)")
    demo = DemoSource()

    async def nothing(done: int, expected: int, message: str | None = None) -> None:
        return None

    expected_posts = (await demo.fetch_posts(request, nothing)).posts
    expected_comments = (await demo.fetch_comments(expected_posts, 60, nothing)).comments
    async with runtime.database.unit_of_work() as session:
        counts = await ItemRepository(session).count(analysis_id)
        comment_job = await StageJobRepository(session).get(analysis_id, Stage.COMMENT_PROCESSING)
    assert counts[ItemKind.POST] == len(expected_posts)
    assert counts[ItemKind.COMMENT] == len(expected_comments)
    assert comment_job is not None
    assert comment_job.attempts == 2  # the killed run and the one that finished
    response = await runtime.service.get(analysis_id)
    assert response.results is not None
    assert response.results.opportunities
