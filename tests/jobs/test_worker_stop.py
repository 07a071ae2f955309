"""Stopping a worker: it ends even when a cancellation is lost on the way."""

from __future__ import annotations

import asyncio

from oppscout.core.analysis.engine import LocalEngine
from oppscout.jobs.sources.demo import DemoSource
from oppscout.jobs.worker import build_worker, stop_worker
from oppscout.runtime import Runtime


async def test_a_worker_whose_first_cancellation_is_lost_still_stops(runtime: Runtime) -> None:
    worker = build_worker(runtime, source=DemoSource(), engine=LocalEngine(), handle_signals=False)
    cancels_seen = 0

    async def polls_on_after_a_lost_cancel() -> None:
        # What arq's poll was seen doing under load: told to stop, it swallowed the cancellation
        # and went back to polling; the worker (and `oppscout worker` on SIGTERM) never exited.
        nonlocal cancels_seen
        while True:
            try:
                await worker.async_run()
            except asyncio.CancelledError:
                cancels_seen += 1
                if cancels_seen > 1:
                    raise

    task = asyncio.create_task(polls_on_after_a_lost_cancel())
    await asyncio.sleep(0.2)  # polling
    async with asyncio.timeout(10):
        await stop_worker(worker, task, grace=0.1)
    assert task.done()
    assert cancels_seen == 2
