"""Local engine: detector precision/recall on the labels, signals per second, and seconds and peak
memory for 10,000 posts + 50,000 comments.

Run: uv run python -m bench.bench_engine [--posts 10000 --comments 50000] [--quality-only]
Needs ../shared (real 2013 posts). Prints one line per figure for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import time
from pathlib import Path

from bench.corpus_2013 import DATA, build
from oppscout.core.analysis.detector import classify_many
from oppscout.core.analysis.engine import local_analysis
from oppscout.core.analysis.signals import detect

# Items timed for the per-item verdict (its sentence embedding costs milliseconds per item).
VERDICT_SAMPLE = 2_000
LABELS = Path(__file__).resolve().parents[1] / "tests" / "data" / "labels-top-posts-2013.jsonl"
SECOND_READING = LABELS.with_name("labels-second-reading.jsonl")


def quality() -> None:
    """Precision and recall of the detector on the labelled posts, per split; and label agreement."""
    labels = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    csv.field_size_limit(1 << 30)
    texts: dict[str, tuple[str, str]] = {}
    for sub in sorted({label["subreddit"] for label in labels}):
        with (DATA / f"{sub}.csv").open(encoding="utf-8", errors="replace", newline="") as f:
            texts.update({r["id"]: (r["title"], r["selftext"]) for r in csv.DictReader(f)})
    predicted = {
        label["id"]: verdict.pain
        for label, verdict in zip(labels, classify_many([texts[label["id"]] for label in labels]), strict=True)
    }
    splits = sorted({label["split"] for label in labels})
    # Every split named holdout* was kept out of training; together they are the figure to quote.
    held_out = tuple(s for s in splits if s.startswith("holdout"))
    for split in (*splits, "held-out together", "all"):
        chosen = [
            label
            for label in labels
            if split == "all"
            or label["split"] == split
            or (split == "held-out together" and label["split"] in held_out)
        ]
        tp = sum(predicted[label["id"]] and label["signal"] for label in chosen)
        fp = sum(predicted[label["id"]] and not label["signal"] for label in chosen)
        fn = sum((not predicted[label["id"]]) and label["signal"] for label in chosen)
        print(
            f"detector on {split} labels ({len(chosen)} posts, {tp + fn} signals): "
            f"precision {tp / max(1, tp + fp):.3f}, recall {tp / max(1, tp + fn):.3f}"
        )
    # How far two readers of the rubric agree bounds what any detector can score.
    first = {label["id"]: bool(label["signal"]) for label in labels}
    second = [json.loads(line) for line in SECOND_READING.read_text(encoding="utf-8").splitlines()]
    pairs = [(first[s["id"]], bool(s["signal"])) for s in second]
    agree = sum(a == b for a, b in pairs) / len(pairs)
    yes_a, yes_b = (sum(p[i] for p in pairs) / len(pairs) for i in (0, 1))
    chance = yes_a * yes_b + (1 - yes_a) * (1 - yes_b)
    print(
        f"label agreement, second reading of {len(pairs)} posts: {agree:.3f} "
        f"(Cohen's kappa {(agree - chance) / (1 - chance):.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=50_000)
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--engine-only", action="store_true", help="only the end-to-end time and memory")
    args = parser.parse_args()
    if args.quality_only:
        quality()
        return
    items, request = build(args.posts, args.comments)
    chars = sum(len(i.text) for i in items)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    if args.engine_only:
        start = time.perf_counter()
        analysis = local_analysis(items, request)
        total_s = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"end to end: {args.posts} posts + {args.comments} comments in {total_s:.2f} s, peak {peak:.0f} MiB")
        return
    start = time.perf_counter()
    found = sum(len(detect(i)) for i in items)
    detect_s = time.perf_counter() - start
    print(f"detector: {len(items)} items ({chars / 1e6:.1f} M chars) in {detect_s:.2f} s")
    print(f"detector: {len(items) / detect_s:,.0f} items/s, {found / detect_s:,.0f} signals/s ({found} signals)")

    # The engine first, so its peak memory is its own (the sentence encoder is not part of it).
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

    if args.engine_only:
        return
    # The per-post verdict (rules, sentence embedding, learned model), as ``oppscout signals`` runs
    # it; the embedding makes it far slower than the rules, so it is timed on a sample.
    sample = items[:VERDICT_SAMPLE]
    start = time.perf_counter()
    flagged = sum(v.pain for v in classify_many([(i.title, i.body) for i in sample]))
    classify_s = time.perf_counter() - start
    print(f"verdicts: {len(sample) / classify_s:,.0f} items/s ({flagged} signals of {len(sample)} items)")
    print(
        f"peak memory after the verdicts (encoder loaded): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    quality()


if __name__ == "__main__":
    main()
