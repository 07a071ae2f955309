"""Local engine: signals per second, and seconds and peak memory for 10,000 posts + 50,000 comments.

Run: uv run python -m bench.bench_engine [--posts 10000 --comments 50000]
Needs ../shared (real 2013 posts). Prints one line per figure for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import resource
import time

from bench.corpus_2013 import build
from oppscout.core.analysis.engine import local_analysis
from oppscout.core.analysis.signals import detect


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=50_000)
    args = parser.parse_args()
    items, request = build(args.posts, args.comments)
    chars = sum(len(i.text) for i in items)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    start = time.perf_counter()
    found = sum(len(detect(i)) for i in items)
    detect_s = time.perf_counter() - start
    print(f"detector: {len(items)} items ({chars / 1e6:.1f} M chars) in {detect_s:.2f} s")
    print(f"detector: {len(items) / detect_s:,.0f} items/s, {found / detect_s:,.0f} signals/s ({found} signals)")

    start = time.perf_counter()
    analysis = local_analysis(items, request)
    total_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"end to end: {args.posts} posts + {args.comments} comments in {total_s:.2f} s, "
        f"{len(analysis.results.opportunities)} opportunities"
    )
    print(
        f"peak memory (max RSS of the process, corpus included): {peak:.0f} MiB (before analysis {rss_before:.0f} MiB)"
    )


if __name__ == "__main__":
    main()
