"""Queue fairness: several analyses asked for at once, served first come, first served.

For each worker count, ``oppscout worker`` processes with one job slot each start on one embedded
Redis and a fresh SQLite database; the bench waits for their heartbeats. First one analysis runs
alone (the reference). Then a burst of N analyses is submitted at once through the service, in a
known order. Per analysis: wait = submit → its first stage starts ("stage" event), total = submit →
its summary ("completed"). An analysis is the demo request over r/freelance and r/smallbusiness,
30 days, with a pause per demo item (``--item-delay``) so that one analysis takes a few seconds, as
Reddit's pace would make it take, rather than the demo corpus's fraction of a second.

Run: uv run python -m bench.bench_fairness [--workers 1 2] [--bursts 6 20] [--item-delay 0.005]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.stats import percentile
from oppscout.core.contract import AnalysisRequest
from oppscout.core.events import CompletedEvent, FailedEvent, StageEvent
from oppscout.core.settings import Settings
from oppscout.jobs.event_bus import EventSubscription
from oppscout.jobs.redis_server import EmbeddedRedis
from oppscout.runtime import Runtime
from tests.helpers import make_request

SUBREDDITS = ["freelance", "smallbusiness"]


async def _run(runtime: Runtime, request: AnalysisRequest, count: int) -> list[tuple[float, float]]:
    """Submit ``count`` analyses at once; (wait, total) of each, in submission order."""
    submitted: dict[str, float] = {}
    started: dict[str, float] = {}
    finished: dict[str, float] = {}
    async with EventSubscription(runtime.redis) as subscription:
        order = []
        for _ in range(count):
            analysis_id = (await runtime.service.submit(request)).analysis_id
            submitted[analysis_id] = time.perf_counter()
            order.append(analysis_id)
        async with asyncio.timeout(900):
            while len(finished) < count:
                event = await subscription.next_event(timeout=5)
                if event is None or event.analysis_id not in submitted:
                    continue
                now = time.perf_counter()
                if isinstance(event, StageEvent):
                    started.setdefault(event.analysis_id, now)
                elif isinstance(event, CompletedEvent | FailedEvent):
                    finished[event.analysis_id] = now
    return [(started[a] - submitted[a], finished[a] - submitted[a]) for a in order]


async def measure_workers(
    workers: int, bursts: list[int], root: Path, redis_url: str, item_delay: float
) -> list[dict[str, float]]:
    """The alone reference and each burst on ``workers`` one-slot worker processes."""
    data_dir = root / f"workers-{workers}"
    data_dir.mkdir()
    queue_name = f"oppscout:fairness:{workers}:{os.getpid()}"
    settings = Settings(data_dir=data_dir, redis_url=redis_url, queue_name=queue_name, _env_file=None)
    env = {
        **os.environ,
        "OPPSCOUT_DATA_DIR": str(data_dir),
        "OPPSCOUT_REDIS_URL": redis_url,
        "OPPSCOUT_QUEUE_NAME": queue_name,
        "OPPSCOUT_WORKER_CONCURRENCY": "1",
        "OPPSCOUT_DEMO_ITEM_DELAY_SECONDS": str(item_delay),
        "OPPSCOUT_LOG_LEVEL": "WARNING",
    }
    runtime = await Runtime.open(settings)
    processes = [
        subprocess.Popen([sys.executable, "-m", "oppscout.cli", "worker"], env=env, stdout=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    try:
        async with asyncio.timeout(120):
            while (await runtime.queue.workers())[1] < workers:  # noqa: ASYNC110 - polling another process
                await asyncio.sleep(0.2)
        request = make_request(SUBREDDITS, days=30)
        alone = (await _run(runtime, request, 1))[0][1]
        rows = []
        for burst in bursts:
            times = await _run(runtime, request, burst)
            totals = [t for _, t in times]
            waits = [w for w, _ in times]
            rows.append(
                {
                    "workers": workers,
                    "burst": burst,
                    "alone": alone,
                    "first_total": totals[0],
                    "first_ratio": totals[0] / alone,
                    "median_total": percentile(totals, 0.5),
                    "last_total": totals[-1],
                    "wait_p50": percentile(waits, 0.5),
                    "wait_max": max(waits),
                    # Served in order: each analysis starts no earlier than the one asked for before it.
                    "in_order": float(all(a <= b + 0.05 for a, b in itertools.pairwise(waits))),
                }
            )
        return rows
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        await runtime.close()


async def main_async(workers: list[int], bursts: list[int], item_delay: float) -> None:
    with tempfile.TemporaryDirectory(prefix="oppscout-fairness-") as tmp:
        root = Path(tmp)
        redis = EmbeddedRedis(root / "redis")
        url = redis.start()
        try:
            print(
                "| workers | burst | alone | first asker (× alone) | median total | last total | wait p50 / max |"
                " served in order |"
            )
            print("|---|---|---|---|---|---|---|---|")
            for count in workers:
                for r in await measure_workers(count, bursts, root, url, item_delay):
                    print(
                        f"| {r['workers']:.0f} | {r['burst']:.0f} | {r['alone']:.1f} s | {r['first_total']:.1f} s"
                        f" ({r['first_ratio']:.2f}×) | {r['median_total']:.1f} s | {r['last_total']:.1f} s"
                        f" | {r['wait_p50']:.1f} / {r['wait_max']:.1f} s | {'yes' if r['in_order'] else 'no'} |",
                        flush=True,
                    )
        finally:
            redis.stop()


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--bursts", type=int, nargs="+", default=[6, 20])
    parser.add_argument("--item-delay", type=float, default=0.005, help="seconds per demo item")
    args = parser.parse_args()
    asyncio.run(main_async(args.workers, args.bursts, args.item_delay))


if __name__ == "__main__":
    main()
