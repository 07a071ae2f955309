"""The worker supervisor tells an outage (wait it out) from Redis refusing a command (stop and say why)."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import ResponseError

from oppscout.core.analysis.engine import LocalEngine
from oppscout.jobs.sources.demo import DemoSource
from oppscout.jobs.supervisor import Backoff, supervise
from oppscout.jobs.worker import build_worker
from oppscout.runtime import Runtime


async def test_redis_refusing_the_queue_stops_the_worker_with_the_error_instead_of_retrying_for_ever(
    runtime: Runtime,
) -> None:
    # Someone wrote a plain string where the queue's sorted set lives: every poll gets WRONGTYPE.
    await runtime.redis.set(runtime.settings.queue_name, "not a queue")
    worker = build_worker(runtime, source=DemoSource(), engine=LocalEngine(), handle_signals=False)
    stopping = asyncio.Event()
    try:
        async with asyncio.timeout(30):
            with pytest.raises(ResponseError, match="WRONGTYPE"):
                await supervise(worker, stopping, grace=1.0, backoff=Backoff(first=0.05, most=0.1))
    finally:
        await runtime.redis.delete(runtime.settings.queue_name)


async def test_a_stop_request_while_running_stops_the_worker(runtime: Runtime) -> None:
    worker = build_worker(runtime, source=DemoSource(), engine=LocalEngine(), handle_signals=False)
    stopping = asyncio.Event()
    task = asyncio.create_task(supervise(worker, stopping, grace=1.0))
    await asyncio.sleep(0.3)
    stopping.set()
    async with asyncio.timeout(20):
        await task
    assert task.exception() is None
