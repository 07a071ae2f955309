"""The demo source: a data set the team wrote, shipped in the package, with times relative to now.

It behaves like a small Reddit: listings are paged 100 posts per call and each comment tree
costs a call, so the cost and progress machinery is exercised exactly as with the real API.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from importlib import resources

from oppscout.core.analysis import relevance
from oppscout.core.contract import AnalysisRequest, utcnow
from oppscout.core.conversation.estimate import VolumeHint
from oppscout.core.corpus import ItemKind, RedditItem, comment_permalink, post_permalink
from oppscout.core.ports import CallMeter, CommentBatch, PostBatch, ProgressCallback
from oppscout.core.subreddit_names import SubredditResolution, resolve_known

PAGE_SIZE = 100


def _load(now: datetime) -> tuple[list[RedditItem], dict[str, list[RedditItem]]]:
    posts: list[RedditItem] = []
    comments: dict[str, list[RedditItem]] = defaultdict(list)
    folder = resources.files("oppscout.data") / "demo"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".jsonl"):
            continue
        subs: dict[str, str] = {}
        for line in entry.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            raw = json.loads(line)
            created = now - timedelta(hours=float(raw["age_hours"]))
            if raw["kind"] == "post":
                subs[raw["id"]] = raw["subreddit"]
                posts.append(
                    RedditItem(
                        kind=ItemKind.POST,
                        reddit_id=raw["id"],
                        subreddit=raw["subreddit"],
                        author=raw["author"],
                        title=raw["title"],
                        body=raw.get("selftext") or "",
                        score=int(raw.get("score", 0)),
                        num_comments=int(raw.get("num_comments", 0)),
                        created_at=created,
                        permalink=post_permalink(raw["subreddit"], raw["id"]),
                    )
                )
            else:
                sub = subs[raw["post_id"]]
                comments[raw["post_id"]].append(
                    RedditItem(
                        kind=ItemKind.COMMENT,
                        reddit_id=raw["id"],
                        subreddit=sub,
                        author=raw["author"],
                        body=raw["body"],
                        score=int(raw.get("score", 0)),
                        created_at=created,
                        permalink=comment_permalink(sub, raw["post_id"], raw["id"]),
                        post_id=raw["post_id"],
                        parent_id=raw["parent_id"],
                    )
                )
    return posts, comments


class DemoSource:
    """A ``PostSource`` over the shipped demo data set; ``item_delay`` slows it for demos and tests."""

    name = "demo"

    def __init__(self, *, now: datetime | None = None, item_delay: float = 0.0) -> None:
        self._posts, self._comments = _load(now or utcnow())
        self.item_delay = item_delay

    @property
    def subreddits(self) -> list[str]:
        """The subreddits the demo data covers."""
        return sorted({p.subreddit for p in self._posts}, key=str.lower)

    def _matches(self, post: RedditItem, request: AnalysisRequest) -> bool:
        if post.subreddit.lower() not in request.subreddit_keys:
            return False
        if not request.time_range.start <= post.created_at <= request.time_range.end:
            return False
        if not request.keywords:
            return True
        # Like Reddit search with the variants in the query: any form of each word of a keyword.
        return relevance.lexical_match(post.text, request.keywords)

    def volume(self, request: AnalysisRequest) -> VolumeHint:
        """How many posts the request will read here, for the confirmation's estimate."""
        # Calls to the demo data set cost nothing and take no time beyond the configured pause.
        return VolumeHint(posts=sum(1 for p in self._posts if self._matches(p, request)), seconds_per_call=0.0)

    async def resolve_subreddits(self, names: Sequence[str]) -> SubredditResolution:
        """The names the demo data set covers, and suggestions from it for any other."""
        return resolve_known(names, self.subreddits, where="in the demo data set")

    async def still_visible(self, items: Sequence[RedditItem]) -> set[str]:
        """Every item: this data set does not change after it was written."""
        return {item.reddit_id for item in items}

    async def fetch_posts(
        self, request: AnalysisRequest, on_progress: ProgressCallback, meter: CallMeter | None = None
    ) -> PostBatch:
        """Posts of the requested subreddits and window (and keywords, like Reddit search)."""
        found: list[RedditItem] = []
        for post in self._posts:
            if self._matches(post, request):
                found.append(post)
                if self.item_delay:
                    await asyncio.sleep(self.item_delay)
                await on_progress(len(found), 0)
        pages = sum(max(1, math.ceil(n / PAGE_SIZE)) for n in self._count_by_sub(found, request).values())
        notes = []
        missing = [s for s in request.subreddits if s.lower() not in {x.lower() for x in self.subreddits}]
        if missing:
            notes.append(
                "The demo data set has no posts from "
                + ", ".join(f"r/{m}" for m in missing)
                + f"; it covers {', '.join('r/' + s for s in self.subreddits)}."
            )
        return PostBatch(posts=found, api_calls=pages, notes=notes)

    @staticmethod
    def _count_by_sub(posts: Sequence[RedditItem], request: AnalysisRequest) -> dict[str, int]:
        counts = {s.lower(): 0 for s in request.subreddits}
        for post in posts:
            counts[post.subreddit.lower()] = counts.get(post.subreddit.lower(), 0) + 1
        return counts

    async def fetch_comments(
        self,
        posts: Sequence[RedditItem],
        max_calls: int,
        on_progress: ProgressCallback,
        meter: CallMeter | None = None,
    ) -> CommentBatch:
        """Comments of the most discussed posts, one call per post, within ``max_calls``."""
        chosen = sorted((p for p in posts if p.num_comments > 0), key=lambda p: -p.num_comments)[:max_calls]
        found: list[RedditItem] = []
        expected = sum(len(self._comments.get(p.reddit_id, [])) for p in chosen)
        for post in chosen:
            for comment in self._comments.get(post.reddit_id, []):
                found.append(comment)
                if self.item_delay:
                    await asyncio.sleep(self.item_delay)
                await on_progress(len(found), expected)
        return CommentBatch(comments=found, api_calls=len(chosen))
