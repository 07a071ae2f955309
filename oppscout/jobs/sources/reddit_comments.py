"""Comments from Reddit for the posts worth reading, within a call budget, through the cache.

One call loads a post's comment tree (its top comments); "load more" stubs cost one call each,
so ``replace_more`` is bounded and only the most engaged posts get it. Trees fetched within the
TTL are read from the cache instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from praw.models import MoreComments

from oppscout.core.analysis.signals import detect, strength
from oppscout.core.corpus import RedditItem
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.reddit_cache import RedditCacheRepository
from oppscout.core.ports import CallMeter, CommentBatch, ProgressCallback
from oppscout.jobs.sources.rate_limit import CallContext
from oppscout.jobs.sources.reddit_api import RedditApi
from oppscout.jobs.sources.reddit_json import comment_from_praw

# Comments per tree in the first call; Reddit returns at most about 500.
COMMENT_LIMIT = 200
# Share of the budget kept for "load more" calls: the rest buys one tree per post.
MORE_SHARE = 0.05


def worth(post: RedditItem) -> float:
    """How much a post's comments are worth reading: its product signals, then its engagement."""
    return 2 * strength(detect(post)) + math.log1p(post.num_comments) + 0.5 * math.log1p(max(0, post.score))


def choose_posts(posts: Sequence[RedditItem], max_calls: int) -> tuple[list[RedditItem], int]:
    """The posts whose comments to fetch, most worth first, and the calls left for "load more"."""
    if max_calls <= 0:
        return [], 0
    candidates = sorted((p for p in posts if p.num_comments > 0), key=worth, reverse=True)
    trees = max(1, math.floor(max_calls * (1 - MORE_SHARE)))
    chosen = candidates[:trees]
    return chosen, max_calls - len(chosen)


class CommentCollector:
    """Fetches, filters, flattens and caches comment trees."""

    def __init__(self, api: RedditApi, database: Database, *, ttl: timedelta, replace_more_limit: int) -> None:
        self.api = api
        self.database = database
        self.ttl = ttl
        self.replace_more_limit = replace_more_limit

    async def collect(
        self,
        posts: Sequence[RedditItem],
        max_calls: int,
        on_progress: ProgressCallback,
        now: datetime,
        meter: CallMeter | None = None,
    ) -> CommentBatch:
        """Comments of the posts most worth reading, spending at most ``max_calls`` calls."""
        found: list[RedditItem] = []

        async def announce(message: str) -> None:
            await on_progress(len(found), expected, message)

        context = CallContext(announce, meter)
        chosen, more_budget = choose_posts(posts, max_calls)
        expected = sum(p.num_comments for p in chosen)
        ids = [p.reddit_id for p in chosen]
        async with self.database.unit_of_work() as session:
            repo = RedditCacheRepository(session)
            cached = await repo.fresh_comment_trees(ids, now - self.ttl)
            found.extend(await repo.comments_of([i for i in ids if i in cached]))
        await on_progress(len(found), expected)
        skipped = 0
        for post in chosen:
            if post.reddit_id in cached:
                continue
            if context.calls >= max_calls:
                skipped += 1
                continue
            before = context.calls
            submission = await self.api.submission(context, post.reddit_id, COMMENT_LIMIT)
            more = min(self.replace_more_limit, more_budget, max_calls - context.calls)
            has_more = any(isinstance(c, MoreComments) for c in submission.comments.list())
            if more > 0 and has_more:
                await self.api.replace_more(context, submission, more)
            # What is left unexpanded is dropped locally (limit=0 makes no call).
            submission.comments.replace_more(limit=0)
            more_budget -= max(0, context.calls - before - 1)
            tree = [c for c in (comment_from_praw(x) for x in submission.comments.list()) if c is not None]
            async with self.database.unit_of_work() as session:
                await RedditCacheRepository(session).save_comment_tree(post.reddit_id, tree, now)
            found.extend(tree)
            await on_progress(len(found), expected)
        notes = []
        if skipped:
            notes.append(f"Comments of {skipped} more posts were skipped to stay within the Reddit call budget.")
        return CommentBatch(comments=found, api_calls=context.calls, notes=notes)
