"""First come, first served: an analysis's later stages keep its place in line; the line's figures are current."""

from __future__ import annotations

import asyncio

from oppscout.core.contract import AnalysisStatus
from oppscout.core.events import CompletedEvent, StageEvent
from oppscout.core.settings import Settings
from oppscout.jobs.event_bus import EventSubscription
from oppscout.runtime import Runtime
from tests.helpers import make_request
from tests.jobs.worker_harness import running_worker, wait_for_status


def one_slot(settings: Settings) -> Settings:
    """The test's settings with a single worker slot, so the order of service shows."""
    return settings.model_copy(update={"worker_concurrency": 1})


async def test_one_worker_finishes_analyses_in_the_order_they_were_asked_for(settings: Settings) -> None:
    runtime = await Runtime.open(one_slot(settings))
    try:
        async with EventSubscription(runtime.redis) as subscription:
            ids = [(await runtime.service.submit(make_request())).analysis_id for _ in range(3)]
            started: list[str] = []
            finished: list[str] = []
            async with running_worker(runtime), asyncio.timeout(120):
                while len(finished) < len(ids):
                    event = await subscription.next_event(timeout=0.5)
                    if isinstance(event, StageEvent):
                        started.append(event.analysis_id)
                    elif isinstance(event, CompletedEvent):
                        finished.append(event.analysis_id)
        assert finished == ids
        # Each analysis runs all its stages before the next one starts: no stage goes back to the end of the line.
        assert started == [ids[0]] * 3 + [ids[1]] * 3 + [ids[2]] * 3
    finally:
        await runtime.close()


async def test_while_one_runs_the_next_is_position_one_and_no_slot_is_free(settings: Settings) -> None:
    runtime = await Runtime.open(one_slot(settings))
    try:
        first, second, third = [(await runtime.service.submit(make_request())).analysis_id for _ in range(3)]
        async with running_worker(runtime, item_delay=0.05):
            await wait_for_status(runtime, first, AnalysisStatus.PROCESSING)
            running = await runtime.service.queue_status(first)
            assert (running.position, running.running, running.estimated_wait) == (0, True, 0)
            # Read right after the start: the busy slot shows at once, not at the worker's next heartbeat.
            nxt = await runtime.service.queue_status(second)
            assert (nxt.position, nxt.available_workers, nxt.total_workers) == (1, 0, 1)
            last = await runtime.service.queue_status(third)
            assert last.position == 2 and last.estimated_wait > nxt.estimated_wait > 0
            jobs = await runtime.service.jobs(third)
            assert [j.status for j in jobs] == [AnalysisStatus.QUEUED] * 3
            await runtime.service.cancel(first)
            await runtime.service.cancel(second)
            await runtime.service.cancel(third)
    finally:
        await runtime.close()
