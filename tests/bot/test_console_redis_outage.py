"""The console chat (and the worker beside it) ride out a Redis that is down when the request is made.

A real external redis-server, SIGKILLed before the conversation starts and started again (empty) a
few seconds later: the chat still answers, its request is saved, and the summary arrives once Redis
is back, without a traceback.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from rich.console import Console

from oppscout.bot.console.chat import play
from oppscout.core.analysis.engine import LocalEngine
from oppscout.core.settings import Settings
from oppscout.jobs.sources.demo import DemoSource
from oppscout.jobs.supervisor import Backoff, supervise
from oppscout.jobs.worker import build_worker
from oppscout.runtime import Runtime
from tests.redis_process import RedisProcess

pytestmark = pytest.mark.slow


@pytest.fixture
async def outage_runtime(settings: Settings, tmp_path: Path) -> AsyncIterator[tuple[Runtime, RedisProcess]]:
    server = RedisProcess(tmp_path / "redis").start()
    # A short sweep interval: the analysis submitted during the outage is queued at the next sweep.
    runtime = await Runtime.open(settings.model_copy(update={"redis_url": server.url, "reconcile_interval_seconds": 2}))
    try:
        yield runtime, server
    finally:
        await runtime.close()
        server.stop()


async def test_a_console_request_made_while_redis_is_down_completes_once_redis_is_back(
    outage_runtime: tuple[Runtime, RedisProcess],
) -> None:
    runtime, server = outage_runtime
    worker = build_worker(runtime, source=DemoSource(), engine=LocalEngine(), handle_signals=False)
    stopping = asyncio.Event()
    worker_task = asyncio.create_task(supervise(worker, stopping, grace=1.0, backoff=Backoff(first=0.1, most=1.0)))
    out = io.StringIO()
    console = Console(file=out, width=220, force_terminal=False, color_system=None)
    try:
        await asyncio.sleep(0.5)  # the worker polls
        server.kill()
        chat = asyncio.create_task(
            play(runtime, console, ["r/freelance and r/smallbusiness, last 30 days, budget $2", "yes"])
        )
        await asyncio.sleep(3)
        assert not chat.done(), chat.exception() if chat.done() else None
        assert not worker_task.done(), worker_task.exception() if worker_task.done() else None
        server.start()
        async with asyncio.timeout(90):
            await chat
    finally:
        stopping.set()
        async with asyncio.timeout(30):
            await worker_task
    text = out.getvalue()
    assert "Your analysis is saved and will start as soon as it is back" in text
    assert "Top opportunities" in text
