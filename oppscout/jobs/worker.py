"""The arq worker: stage functions, the reconciler cron, and a heartbeat for queue status."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import uuid
from typing import Any

from arq import Worker, cron, func

from oppscout.core.db.database import Database
from oppscout.core.delivery import ConversationNotifier, FanoutNotifier
from oppscout.core.outbox import OutboxDispatcher, RetryPolicy, posters_of
from oppscout.core.ports import AnalysisEngine, Notifier, PostSource
from oppscout.core.runner import AnalysisRunner, RunnerParts
from oppscout.core.service import AnalysisService
from oppscout.core.settings import Settings
from oppscout.core.watches import AlertNotifier, WatchScheduler
from oppscout.jobs import tasks
from oppscout.jobs.database_watch import DatabaseWatch
from oppscout.jobs.metrics import CountedNotifier, MetricsNotifier, WorkerMetrics
from oppscout.jobs.queue import WORKER_KEY_PREFIX, AnalysisQueue
from oppscout.jobs.sweeper import Sweeper
from oppscout.jobs.watch_tasks import run_watches
from oppscout.runtime import Runtime, build_direct_messengers, build_thread_notifiers, connect_redis

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5
# How often a worker that has not stopped is told again to stop (see ``_until_ended``).
STOP_RETRY_SECONDS = 1.0


async def _heartbeat(worker: Worker, worker_id: str, concurrency: int, queue_name: str) -> None:
    key = WORKER_KEY_PREFIX + worker_id
    while True:
        running = sum(not t.done() for t in worker.tasks.values())
        # The queue's name: workers of other queues on the same Redis are not this queue's capacity.
        beat = {
            "running": running,
            "concurrency": concurrency,
            "queue": queue_name,
            "host": socket.gethostname(),
            "pid": os.getpid(),
        }
        with contextlib.suppress(Exception):
            await worker.pool.set(key, json.dumps(beat), ex=HEARTBEAT_SECONDS * 3)
        await asyncio.sleep(HEARTBEAT_SECONDS)


def build_worker(
    runtime: Runtime,
    *,
    source: PostSource,
    engine: AnalysisEngine,
    notifier: Notifier | None = None,
    burst: bool = False,
    handle_signals: bool = True,
) -> Worker:
    """An arq worker running the stages of analyses from ``runtime``'s queue."""
    settings: Settings = runtime.settings
    database: Database = runtime.database
    queue: AnalysisQueue = runtime.queue
    service: AnalysisService = runtime.service
    # DMs (watch alerts, cost alerts, summary emails) leave through the outbox, tried at once and by the cron.
    messengers = build_direct_messengers(settings)
    dispatcher = OutboxDispatcher(
        database, messengers, posters=posters_of(messengers), policy=RetryPolicy.from_settings(settings)
    )
    watch_scheduler = WatchScheduler(database, settings, service, dispatcher=dispatcher)
    alerts = AlertNotifier(database, watch_scheduler, dispatcher)
    metrics = WorkerMetrics()
    if notifier is None:
        conversation = ConversationNotifier(database, build_thread_notifiers(settings))
        notifier = FanoutNotifier([CountedNotifier(runtime.publisher, metrics), CountedNotifier(conversation, metrics)])
    notifier = FanoutNotifier(
        [CountedNotifier(notifier, metrics), CountedNotifier(alerts, metrics), MetricsNotifier(metrics)]
    )
    runner = AnalysisRunner(RunnerParts(settings, database, source, engine, notifier))
    sweeper = Sweeper(runner, queue, max_attempts=settings.stage_max_tries)
    worker_id = uuid.uuid4().hex[:12]
    database_watch = DatabaseWatch(
        lambda: runner.database,
        runtime.redis,
        reporter=f"worker {socket.gethostname()}:{os.getpid()} ({worker_id})",
        timeout=settings.health_probe_timeout_seconds,
    )
    reconcile_seconds = set(range(0, 60, max(1, min(59, settings.reconcile_interval_seconds))))
    watch_seconds = set(range(0, 60, settings.watch_tick_seconds))
    heartbeat: dict[str, asyncio.Task[None]] = {}

    async def on_startup(ctx: dict[str, Any]) -> None:
        # Called again each time the loop resumes after a Redis outage (see ``supervisor``): one heartbeat.
        previous = heartbeat.pop("task", None)
        if previous is not None:
            previous.cancel()
        heartbeat["task"] = asyncio.create_task(
            _heartbeat(worker, worker_id, settings.worker_concurrency, settings.queue_name)
        )
        if not await database_watch.tick():
            return  # reported and logged once; the cron sweeps once the database works again
        try:
            await sweeper.sweep()
        except Exception as error:  # noqa: BLE001 - the cron sweeps again shortly
            log.warning("the start-up sweep did not run: %s", error)

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        task = heartbeat.pop("task", None)
        if task:
            task.cancel()
        with contextlib.suppress(Exception):
            await runtime.redis.delete(WORKER_KEY_PREFIX + worker_id)
        # A stopped worker no longer speaks for the database (a crashed one's report expires).
        await database_watch.withdraw()
        for messenger in messengers.values():
            close = getattr(messenger, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()

    worker = Worker(
        functions=[
            func(tasks.reddit_collection, name="reddit-collection"),
            func(tasks.comment_processing, name="comment-processing"),
            func(tasks.ai_analysis, name="ai-analysis"),
        ],
        cron_jobs=[
            cron(tasks.reconcile, name="reconcile", second=reconcile_seconds, run_at_startup=False),
            cron(run_watches, name="watches", second=watch_seconds, run_at_startup=False),
            # Reddit's rules: raw text is kept only for the retention; hourly, so a laptop worker purges too.
            cron(tasks.purge_reddit_text, name="purge-reddit-text", minute={17}, second={0}, run_at_startup=False),
        ],
        # Its own connection pool: arq closes the pool when the worker stops.
        redis_pool=connect_redis(runtime.redis_url, settings.queue_name),
        queue_name=settings.queue_name,
        max_jobs=settings.worker_concurrency,
        job_timeout=settings.stage_timeout_seconds,
        max_tries=settings.stage_max_tries,
        keep_result=3600,
        poll_delay=0.05,
        burst=burst,
        handle_signals=handle_signals,
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        ctx={
            "runner": runner,
            "queue": queue,
            "service": service,
            "sweeper": sweeper,
            "database_watch": database_watch,
            "max_tries": settings.stage_max_tries,
            "watch_scheduler": watch_scheduler,
            "metrics": metrics,
        },
        log_results=False,
    )
    return worker


async def stop_worker(worker: Worker, task: asyncio.Task[None], *, grace: float = 5.0) -> None:
    """Stop a worker running in this process: stop polling, let running jobs finish for ``grace``
    seconds, then cancel the rest (arq runs cancelled jobs again later; stages are idempotent)."""
    task.cancel()
    running = [t for t in worker.tasks.values() if not t.done()]
    if running:
        await asyncio.wait(running, timeout=grace)
    for job in running:
        job.cancel()
    await _until_ended([task, *running])
    if worker.on_shutdown:
        await worker.on_shutdown(worker.ctx)
    await worker.pool.aclose()


async def _until_ended(tasks: list[asyncio.Task[Any]]) -> None:
    # A cancellation can be lost inside arq's poll while it talks to Redis: the worker's main task
    # was seen marked "cancelling" yet back to polling, and a single cancel then waited forever
    # (a SIGTERM'd worker that never exits). So cancel again, every second, until all have ended.
    pending = {t for t in tasks if not t.done()}
    while pending:
        _, pending = await asyncio.wait(pending, timeout=STOP_RETRY_SECONDS)
        for still in pending:
            still.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
