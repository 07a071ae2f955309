"""Team scale: analyses per minute with 1, 2 and 4 worker processes, and queue wait under a burst.

For each worker count, a fresh database and queue; N ``oppscout worker`` processes start on one
embedded Redis and the bench waits until all N heartbeat (start-up is not measured). Then a burst
of requests (50 by default) is submitted at once through the service, as 50 people asking at the
same moment would. Throughput is completed analyses per minute from the first submit to the last
summary; queue wait is, per analysis, the time from its submit until a worker started its first
stage (the "stage" event). Each analysis is the demo conversation's request over the demo corpus.

Run: uv run python -m bench.bench_scaling [--workers 1 2 4] [--burst 50] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.stats import percentile
from oppscout.core.events import CompletedEvent, FailedEvent, StageEvent
from oppscout.core.settings import Settings
from oppscout.jobs.event_bus import EventSubscription
from oppscout.jobs.redis_server import EmbeddedRedis
from oppscout.runtime import Runtime
from tests.helpers import ALL_DEMO_SUBREDDITS, make_request


async def run_burst(
    workers: int, burst: int, data_dir: Path, redis_url: str, database_url: str | None
) -> dict[str, float]:
    """Throughput and queue-wait figures of one burst on ``workers`` worker processes."""
    queue_name = f"oppscout:bench:{workers}"
    settings = Settings(
        data_dir=data_dir, redis_url=redis_url, database_url=database_url, queue_name=queue_name, _env_file=None
    )
    env = {
        **os.environ,
        "OPPSCOUT_DATA_DIR": str(data_dir),
        "OPPSCOUT_REDIS_URL": redis_url,
        "OPPSCOUT_QUEUE_NAME": queue_name,
        "OPPSCOUT_LOG_LEVEL": "WARNING",
    }
    if database_url:
        env["OPPSCOUT_DATABASE_URL"] = database_url
    runtime = await Runtime.open(settings)
    processes = [
        subprocess.Popen([sys.executable, "-m", "oppscout.cli", "worker"], env=env, stdout=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    try:
        async with asyncio.timeout(120):
            # Start-up (imports, migrations) is not what is measured: wait for every heartbeat.
            while True:
                if (await runtime.queue.workers())[1] >= workers:
                    break
                await asyncio.sleep(0.2)
        request = make_request(ALL_DEMO_SUBREDDITS, days=30)
        submitted: dict[str, float] = {}
        started: dict[str, float] = {}
        finished: dict[str, float] = {}
        failed = 0
        async with EventSubscription(runtime.redis) as subscription:
            first = time.perf_counter()
            for _ in range(burst):
                submitted[(await runtime.service.submit(request)).analysis_id] = time.perf_counter()
            while len(finished) < burst:
                event = await subscription.next_event(timeout=5)
                if event is None or event.analysis_id not in submitted:
                    continue
                now = time.perf_counter()
                if isinstance(event, StageEvent):
                    started.setdefault(event.analysis_id, now)
                elif isinstance(event, CompletedEvent | FailedEvent):
                    finished[event.analysis_id] = now
                    failed += isinstance(event, FailedEvent)
        elapsed = max(finished.values()) - first
        waits = [started[a] - submitted[a] for a in submitted]
        return {
            "workers": workers,
            "elapsed": elapsed,
            "per_minute": burst / elapsed * 60,
            "wait_p50": percentile(waits, 0.5),
            "wait_p90": percentile(waits, 0.9),
            "wait_max": max(waits),
            "failed": failed,
        }
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        await runtime.close()


async def measure(worker_counts: list[int], burst: int, root: Path, database_url: str | None) -> list[dict[str, float]]:
    """One burst per worker count, each on a fresh database (SQLite in ``root`` unless a URL is given)."""
    redis = EmbeddedRedis(root / "redis")
    url = redis.start()
    try:
        results = []
        for workers in worker_counts:
            data_dir = root / f"workers-{workers}"
            data_dir.mkdir()
            database = await _fresh_database(database_url, workers)
            try:
                results.append(await run_burst(workers, burst, data_dir, url, database))
            finally:
                if database_url and database:
                    await _drop_database(database_url, database.rsplit("/", 1)[1])
        return results
    finally:
        redis.stop()


async def _fresh_database(server_url: str | None, workers: int) -> str | None:
    """A new, empty PostgreSQL database on ``server_url`` for one run (None keeps SQLite)."""
    if not server_url:
        return None
    import asyncpg

    name = f"oppscout_bench_{workers}_{os.getpid()}"
    await _drop_database(server_url, name)
    connection = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return f"{server_url.rsplit('/', 1)[0]}/{name}"


async def _drop_database(server_url: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def main() -> None:
    """Print throughput, the scaling ratio against one worker, and queue wait per worker count."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--database-url", help="a PostgreSQL server URL (postgresql+asyncpg://…/postgres)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = asyncio.run(measure(args.workers, args.burst, Path(tmp), args.database_url))
    base = results[0]["per_minute"]
    print(
        f"burst of {args.burst} demo analyses, {'PostgreSQL' if args.database_url else 'SQLite'}, {os.cpu_count()} cores"
    )
    print("workers  elapsed   analyses/min  ratio   queue wait p50 / p90 / max     failed")
    for r in results:
        print(
            f"{int(r['workers']):>7}  {r['elapsed']:6.1f} s  {r['per_minute']:12.1f}  {r['per_minute'] / base:5.2f}x"
            f"   {r['wait_p50']:6.1f} / {r['wait_p90']:6.1f} / {r['wait_max']:6.1f} s   {int(r['failed'])}"
        )


if __name__ == "__main__":
    main()
