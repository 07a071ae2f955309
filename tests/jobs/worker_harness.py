"""Running a real arq worker inside a test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from arq import Worker

from oppscout.core.analysis.engine import LocalEngine
from oppscout.core.contract import AnalysisStatus
from oppscout.core.events import AnalysisEvent, CancelledEvent, CompletedEvent, FailedEvent
from oppscout.jobs.event_bus import EventSubscription
from oppscout.jobs.sources.demo import DemoSource
from oppscout.jobs.worker import build_worker, stop_worker
from oppscout.runtime import Runtime

FINAL = (CompletedEvent, FailedEvent, CancelledEvent)


@asynccontextmanager
async def running_worker(runtime: Runtime, *, item_delay: float = 0.0) -> AsyncIterator[Worker]:
    """A worker polling the runtime's queue in the background for the duration of the block."""
    worker = build_worker(runtime, source=DemoSource(item_delay=item_delay), engine=LocalEngine(), handle_signals=False)
    task = asyncio.create_task(worker.async_run())
    try:
        yield worker
    finally:
        await stop_worker(worker, task)


async def events_until_final(
    subscription: EventSubscription, analysis_id: str, limit: float = 60
) -> list[AnalysisEvent]:
    """Every event of one analysis until its final event, or until ``limit`` seconds pass."""
    events: list[AnalysisEvent] = []
    async with asyncio.timeout(limit):
        while True:
            event = await subscription.next_event(timeout=0.5)
            if event is None or event.analysis_id != analysis_id:
                continue
            events.append(event)
            if isinstance(event, FINAL):
                return events


async def wait_for_status(runtime: Runtime, analysis_id: str, status: AnalysisStatus, limit: float = 60) -> None:
    """Poll the database until the analysis reaches ``status``."""
    async with asyncio.timeout(limit):
        while (await runtime.service.get(analysis_id)).status != status:
            await asyncio.sleep(0.05)
