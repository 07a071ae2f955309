"""A large corpus from the real 2013 posts in ../shared, for the analysis benchmarks.

Posts are real self-posts; comments are real sentences of other posts of the same subreddit,
attached to posts in turn, so every text is something a person wrote. Times are spread over a
30-day window ending now.
"""

from __future__ import annotations

import csv
import random
from datetime import timedelta
from pathlib import Path

from oppscout.core.analysis.signals import sentences
from oppscout.core.contract import AnalysisRequest, utcnow
from oppscout.core.corpus import ItemKind, RedditItem, comment_permalink, post_permalink

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "reddit" / "top-posts-2013" / "data"


def build(posts: int, comments: int, seed: int = 7) -> tuple[list[RedditItem], AnalysisRequest]:
    """``posts`` posts and ``comments`` comments, and a request covering them."""
    csv.field_size_limit(1 << 30)
    rng = random.Random(seed)
    now = utcnow()
    rows: list[dict[str, str]] = []
    for path in sorted(DATA.glob("*.csv")):
        with path.open(encoding="utf-8", errors="replace", newline="") as f:
            rows += [r for r in csv.DictReader(f) if r["selftext"].strip()]
    rng.shuffle(rows)
    subs = sorted({r["permalink"].split("/")[4] for r in rows})
    items: list[RedditItem] = []
    pool: list[str] = []
    for n in range(posts):
        r = rows[n % len(rows)]
        sub = r["permalink"].split("/")[4]
        pid = f"{r['id']}{n // len(rows) or ''}"
        items.append(
            RedditItem(
                kind=ItemKind.POST,
                reddit_id=pid,
                subreddit=sub,
                author=f"u{rng.randrange(20000)}",
                title=r["title"],
                body=r["selftext"][:4000],
                score=int(r["score"] or 0),
                num_comments=int(r["num_comments"] or 0),
                created_at=now - timedelta(minutes=rng.randrange(30 * 24 * 60)),
                permalink=post_permalink(sub, pid),
            )
        )
        pool += sentences(r["selftext"][:2000])
    post_items = list(items)
    for n in range(comments):
        parent = post_items[n % len(post_items)]
        body = " ".join(rng.choice(pool) for _ in range(rng.randint(1, 3)))
        cid = f"c{n}"
        items.append(
            RedditItem(
                kind=ItemKind.COMMENT,
                reddit_id=cid,
                subreddit=parent.subreddit,
                author=f"u{rng.randrange(20000)}",
                body=body,
                score=rng.randrange(50),
                created_at=parent.created_at + timedelta(minutes=rng.randrange(600)),
                permalink=comment_permalink(parent.subreddit, parent.reddit_id, cid),
                post_id=parent.reddit_id,
                parent_id=parent.reddit_id,
            )
        )
    request = AnalysisRequest.model_validate(
        {
            "subreddits": subs[:10],
            "timeRange": {"start": (now - timedelta(days=31)).isoformat(), "end": now.isoformat()},
            "maxCost": "1",
        }
    )
    return items, request
