"""Planted-theme benchmark: does one analysis find the recurring pains a corpus was written with?

A corpus directory holds ``truth.json`` (``{"pains": [{"id", "name", "key_terms", ...}]}``) and
``src/*.txt`` threads in this layout, each item labelled with its pain id or ``n`` (noise)::

    ## subreddit | author | score | days_ago | label
    T: the post title
    the post body, any number of lines
    > commenter | score | label
    comment body
    >> reply author | score | label
    reply body

Figures (issue 15): planted pains in the top 10, purity (share of an opportunity's items from its
main pain), noise/mixed opportunities in the top 10, titles that name their pain, and each
recovered pain's mentions against the number of items labelled with it.

Run: uv run python -m bench.bench_corpus CORPUS_DIR [--show]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from oppscout.core.analysis.encoder import bundled_encoder
from oppscout.core.analysis.engine import local_analysis
from oppscout.core.analysis.text import stem, words
from oppscout.core.contract import AnalysisRequest
from oppscout.core.corpus import ItemKind, RedditItem, comment_permalink, post_permalink

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
HEADER = re.compile(r"^##\s*(.+?)\s*\|\s*(.+?)\s*\|\s*(-?\d+)\s*\|\s*([\d.]+)\s*\|\s*(\S+)\s*$")
COMMENT = re.compile(r"^(>+)\s*(.+?)\s*\|\s*(-?\d+)\s*\|\s*(\S+)\s*$")
# An opportunity whose main pain holds less than this share of its items is mixed.
MIXED_BELOW = 0.6
# A title names its pain when it means nearly the same as the pain's name and shares a key word.
TITLE_SIMILARITY = 0.4


@dataclass
class Corpus:
    """Items, each item's true label, and the planted pains."""

    items: list[RedditItem]
    labels: dict[str, str]
    pains: list[dict[str, object]]


def _records(path: Path) -> list[dict[str, str]]:
    # One record per item: its header fields and its text lines, in file order.
    records: list[dict[str, str]] = []
    parents: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        head, reply = HEADER.match(line), COMMENT.match(line)
        n = f"{path.stem}-{len(records)}"
        if head:
            sub, author, score, days, label = head.groups()
            records.append({"id": f"p{n}", "sub": sub, "author": author, "score": score, "days": days})
            records[-1] |= {"label": label, "title": "", "body": ""}
            parents = [f"p{n}"]
        elif reply:
            depth = len(reply.group(1))
            parents = parents[:depth]
            records.append({"id": f"c{n}", "author": reply.group(2), "score": reply.group(3)})
            records[-1] |= {"label": reply.group(4), "parent": parents[-1], "post": parents[0], "body": ""}
            parents.append(f"c{n}")
        elif records and records[-1]["id"].startswith("p") and line.startswith("T:") and not records[-1]["body"]:
            records[-1]["title"] = line[2:].strip()
        elif records:
            records[-1]["body"] += line + "\n"
    return records


def load(directory: Path) -> Corpus:
    """Parse every ``src/*.txt`` thread file and ``truth.json``."""
    items: list[RedditItem] = []
    labels: dict[str, str] = {}
    posts: dict[str, RedditItem] = {}
    for path in sorted((directory / "src").glob("*.txt")):
        for r in _records(path):
            if r["id"].startswith("p"):
                item = RedditItem(
                    kind=ItemKind.POST,
                    reddit_id=r["id"],
                    subreddit=r["sub"],
                    author=r["author"],
                    title=r["title"],
                    body=r["body"].strip(),
                    score=int(r["score"]),
                    created_at=NOW - timedelta(days=float(r["days"])),
                    permalink=post_permalink(r["sub"], r["id"]),
                )
                posts[item.reddit_id] = item
            else:
                post = posts[r["post"]]
                item = RedditItem(
                    kind=ItemKind.COMMENT,
                    reddit_id=r["id"],
                    subreddit=post.subreddit,
                    author=r["author"],
                    body=r["body"].strip(),
                    score=int(r["score"]),
                    created_at=post.created_at + timedelta(minutes=5),
                    permalink=comment_permalink(post.subreddit, post.reddit_id, r["id"]),
                    post_id=post.reddit_id,
                    parent_id=r["parent"],
                )
            items.append(item)
            labels[item.reddit_id] = r["label"]
    truth = json.loads((directory / "truth.json").read_text(encoding="utf-8"))
    return Corpus(items, labels, list(truth["pains"]))


def names_its_pain(title: str, pain: dict[str, object], similarity: float) -> bool:
    """Whether a title says the pain: close in meaning to its name and sharing one of its key words."""
    key = {stem(w) for term in [str(pain["name"]), *map(str, pain.get("key_terms", []))] for w in words(term)}  # type: ignore[call-overload]
    return similarity >= TITLE_SIMILARITY and bool(key & {stem(w) for w in words(title)})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--show", action="store_true", help="print each opportunity's members")
    args = parser.parse_args()
    corpus = load(args.corpus)
    subs = sorted({i.subreddit for i in corpus.items})
    request = AnalysisRequest.model_validate(
        {
            "subreddits": subs,
            "timeRange": {"start": (NOW - timedelta(days=30)).isoformat(), "end": NOW.isoformat()},
            "maxCost": "0",
        },
        context={"now": NOW},
    )
    in_window = [i for i in corpus.items if i.created_at >= NOW - timedelta(days=30)]
    truth = Counter(corpus.labels[i.reddit_id] for i in in_window)
    start = time.perf_counter()
    analysis = local_analysis(in_window, request)
    seconds = time.perf_counter() - start
    pains = {str(p["id"]): p for p in corpus.pains}
    opps = analysis.results.opportunities
    titles = [o.title for o in opps]
    names = [str(pains[p]["name"]) for p in pains]
    sims = bundled_encoder().encode(titles) @ bundled_encoder().encode(names).T if titles else np.zeros((0, 0))
    found: dict[str, int] = {}
    mixed = 0
    purities: list[float] = []
    named = 0
    print(f"{len(in_window)} items ({truth['n']} noise), {len(pains)} planted pains, engine {seconds:.1f} s")
    for rank, (opp, theme) in enumerate(zip(opps, analysis.themes, strict=True)):
        members = Counter(corpus.labels.get(m.item.reddit_id, "n") for m in theme.members)
        main_label, main_n = members.most_common(1)[0]
        purity = main_n / sum(members.values())
        purities.append(purity)
        is_mixed = main_label == "n" or purity < MIXED_BELOW
        mixed += is_mixed
        verdict = "NOISE/MIXED" if is_mixed else main_label
        title_ok = False
        if not is_mixed:
            found.setdefault(main_label, 0)
            found[main_label] += main_n
            title_ok = names_its_pain(opp.title, pains[main_label], float(sims[rank, list(pains).index(main_label)]))
            named += title_ok
        truth_n = truth.get(main_label, 0) if not is_mixed else 0
        print(
            f"{rank + 1:2}. [{verdict:>11}] purity {purity:.2f} mentions {opp.mentions:3} (truth {truth_n:3}) "
            f"people {opp.distinct_authors:3} score {opp.score:3} title-ok {'y' if title_ok else 'n'} | {opp.title}"
        )
        print(f"      problem: {opp.problem[:160]}")
        if args.show:
            print(f"      members: {dict(members)}")
            for q in opp.quotes[:3]:
                print(f"      “{q.text[:140]}” — {q.author}")
    good = len(opps) - mixed
    print(f"planted pains in the top 10: {len(found)} of {len(pains)} ({', '.join(sorted(found))})")
    print(f"purity: mean {np.mean(purities) if purities else 0:.2f}, min {min(purities, default=0):.2f}")
    print(f"noise/mixed in the top 10: {mixed}")
    print(f"titles naming their pain: {named} of {good}")
    for pid in sorted(found):
        ratio = found[pid] / max(1, truth[pid])
        print(f"mentions {pid}: {found[pid]} of {truth[pid]} labelled items ({ratio:.0%})")


if __name__ == "__main__":
    main()
