"""Enqueue-to-start latency with an idle worker: p50 and p99 over 200 analyses.

A worker runs as its own process (`oppscout worker`) on an embedded Redis; this process submits
one analysis at a time, and measures from just before the submit to the moment the worker's
"stage started" event for it arrives. The next analysis is submitted only after the previous one
finished, so the worker is idle at every enqueue.

Run: uv run python -m bench.bench_enqueue [--jobs 200]
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
from oppscout.core.events import CompletedEvent, StageEvent
from oppscout.core.settings import Settings
from oppscout.jobs.event_bus import EventSubscription
from oppscout.jobs.redis_server import EmbeddedRedis
from oppscout.runtime import Runtime
from tests.helpers import make_request


async def measure(jobs: int, data_dir: Path) -> list[float]:
    """Latencies in milliseconds."""
    redis = EmbeddedRedis(data_dir / "redis")
    url = redis.start()
    settings = Settings(data_dir=data_dir, redis_url=url, _env_file=None)
    env = {**os.environ, "OPPSCOUT_DATA_DIR": str(data_dir), "OPPSCOUT_REDIS_URL": url, "OPPSCOUT_LOG_LEVEL": "WARNING"}
    runtime = await Runtime.open(settings)
    worker = subprocess.Popen([sys.executable, "-m", "oppscout.cli", "worker"], env=env)
    latencies: list[float] = []
    try:
        # A small request (one subreddit, two days) keeps each analysis short.
        request = make_request(["SaaS"], days=2, max_cost="0")
        async with EventSubscription(runtime.redis) as subscription:
            for _ in range(jobs + 5):
                start = time.perf_counter()
                submission = await runtime.service.submit(request)
                started = None
                while True:
                    event = await subscription.next_event(timeout=5)
                    if event is None or event.analysis_id != submission.analysis_id:
                        continue
                    if isinstance(event, StageEvent) and started is None:
                        started = time.perf_counter()
                    if isinstance(event, CompletedEvent):
                        break
                assert started is not None
                latencies.append((started - start) * 1000)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        await runtime.close()
        redis.stop()
    return latencies[5:]  # the first few warm the worker's connections


def main() -> None:
    """Print p50 and p99."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        latencies = asyncio.run(measure(args.jobs, Path(tmp)))
    print(f"enqueue-to-start latency, idle worker, {len(latencies)} analyses:")
    print(
        f"  p50 {percentile(latencies, 0.50):.1f} ms   p99 {percentile(latencies, 0.99):.1f} ms   max {max(latencies):.1f} ms"
    )


if __name__ == "__main__":
    main()
