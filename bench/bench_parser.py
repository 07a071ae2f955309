"""Parser throughput: messages parsed per second, over the shared examples and the test phrasings (v1 and
v2). dateparser's readings are cached per (date text, day); ``--cold`` clears that cache before every round,
so each round pays for every absolute date again.

Run: uv run python -m bench.bench_parser [--rounds 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from oppscout.core.conversation import dates
from oppscout.core.conversation.parser import parse
from tests.core.conversation.test_phrasings import PHRASINGS

V2 = Path(__file__).resolve().parents[1] / "tests" / "core" / "conversation" / "data" / "phrasings_v2.jsonl"

EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "examples" / "requests.jsonl"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--cold", action="store_true", help="clear the date cache before every round")
    args = parser.parse_args()
    texts = [text for text, _ in PHRASINGS]
    texts += [json.loads(line)["text"] for line in V2.read_text().splitlines() if line.strip()]
    if EXAMPLES.is_file():
        texts += [json.loads(line)["text"] for line in EXAMPLES.read_text().splitlines() if line.strip()]
    known = ["SaaS", "smallbusiness", "freelance"]
    per_message: list[float] = []
    started = time.perf_counter()
    parse("r/SaaS between March 1 and March 15", NOW)  # dateparser loads its English data once
    for _ in range(args.rounds):
        if args.cold:
            dates._read.cache_clear()
        for text in texts:
            t0 = time.perf_counter()
            parse(text, NOW, known_subreddits=known)
            per_message.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    per_message.sort()
    p99 = per_message[int(len(per_message) * 0.99)]
    print(f"{len(per_message)} messages ({len(texts)} distinct) in {elapsed:.2f} s")
    print(f"throughput: {len(per_message) / elapsed:,.0f} messages/s on one core")
    print(f"per message: median {statistics.median(per_message) * 1e6:.0f} µs, p99 {p99 * 1e6:.0f} µs")


if __name__ == "__main__":
    main()
