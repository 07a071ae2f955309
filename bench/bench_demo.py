"""`oppscout demo`: wall time and peak memory (max RSS) of the whole command, as a user runs it.

Run: uv run python -m bench.bench_demo [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def run_once() -> tuple[float, float]:
    """One demo in a fresh data dir: (seconds, peak RSS of the demo process in MiB)."""
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "OPPSCOUT_DATA_DIR": data_dir}
        env.pop("OPPSCOUT_REDIS_URL", None)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "oppscout.cli", "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        # ru_maxrss of children is the largest child so far: the demo process (redis-server is smaller).
        return elapsed, max(peak_kib, before) / 1024


def main() -> None:
    """Print wall time and peak memory over a few runs."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = [run_once() for _ in range(args.runs)]
    times = [t for t, _ in results]
    print(f"oppscout demo: {args.runs} runs")
    print(f"  wall time  median {statistics.median(times):.2f} s  (min {min(times):.2f}, max {max(times):.2f})")
    print(f"  peak RSS   {max(m for _, m in results):.0f} MiB")


if __name__ == "__main__":
    main()
