"""The Reddit source: posts and comments through Reddit's Data API (praw), within its rules and limits.

Reddit's API is the product's scarcest resource (about 100 requests a minute per client, access
granted by hand), so every request is spent well:

- all subreddits of a request in one multireddit listing (``r/a+b``), 100 items a page;
- keywords through search (``syntax=lucene``, ``sort=new``, the smallest ``t`` covering the window),
  then exact ``created_utc`` filtering; no keywords: ``new`` until items are older than the window;
- names checked in one ``/api/info`` call; listings, comment trees and names cached with a TTL;
- comments only for the posts worth it, with a bounded ``replace_more``.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from oppscout.core.analysis import relevance
from oppscout.core.contract import AnalysisRequest, utcnow
from oppscout.core.corpus import ItemKind, RedditItem
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.reddit_cache import RedditCacheRepository
from oppscout.core.errors import InvalidRequestError
from oppscout.core.ports import CallMeter, CommentBatch, PostBatch, ProgressCallback
from oppscout.core.settings import Settings
from oppscout.core.subreddit_names import SubredditName, SubredditResolution, SubredditState
from oppscout.jobs.sources.rate_limit import CallContext, RedditCaller
from oppscout.jobs.sources.reddit_api import RedditApi, build_reddit
from oppscout.jobs.sources.reddit_comments import CommentCollector
from oppscout.jobs.sources.reddit_json import is_gone, strip_kind
from oppscout.jobs.sources.reddit_listing import (
    LISTING_CAP,
    PAGE_SIZE,
    REDDIT_FOUNDED,
    ListingCache,
    ListingResult,
    Page,
)
from oppscout.jobs.sources.reddit_names import INFO_BATCH, SubredditChecker

if TYPE_CHECKING:
    from oppscout.jobs.health_reporter import ComponentReporter

# Reddit's search time filters, smallest first. "month" is taken as 28 days so it always covers.
TIME_FILTERS: tuple[tuple[str, timedelta | None], ...] = (
    ("hour", timedelta(hours=1)),
    ("day", timedelta(days=1)),
    ("week", timedelta(days=7)),
    ("month", timedelta(days=28)),
    ("year", timedelta(days=365)),
    ("all", None),
)


def time_filter(start: datetime, now: datetime) -> tuple[str, datetime]:
    """The smallest search ``t`` whose span reaches back to ``start``, and where that span begins."""
    for name, span in TIME_FILTERS:
        if span is not None and now - span <= start:
            return name, now - span
    return "all", REDDIT_FOUNDED


def lucene_query(keywords: Sequence[str]) -> str:
    """Keywords in Reddit's Lucene syntax with their word forms ("invoicing" also finds "invoices").

    Each form is quoted, which keeps operators inside keywords literal; what comes back is then
    filtered by meaning in the engine (``oppscout.core.analysis.relevance``).
    """
    return relevance.lucene_query(keywords)


class RedditSource:
    """A ``PostSource`` (and ``SubredditResolver``) over Reddit's Data API."""

    name = "reddit"

    def __init__(
        self,
        settings: Settings,
        database: Database | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        reporter: ComponentReporter | None = None,
    ) -> None:
        """``reporter``, when given, publishes how Reddit's API answers (for the health endpoint)."""
        self.settings = settings
        self.clock = clock
        self._owns_database = database is None
        self.database = database or Database(settings.resolved_database_url)
        caller = RedditCaller(
            max_outage_seconds=settings.reddit_max_outage_seconds,
            max_backoff_seconds=settings.reddit_max_backoff_seconds,
            reporter=reporter,
        )
        self.api = RedditApi(build_reddit(settings), caller)
        self.ttl = timedelta(seconds=settings.reddit_cache_ttl_seconds)
        self.names = SubredditChecker(self.api, self.database, ttl=self.ttl)
        self.comments = CommentCollector(
            self.api, self.database, ttl=self.ttl, replace_more_limit=settings.reddit_replace_more_limit
        )

    async def close(self) -> None:
        """Release the database connections this source opened itself."""
        if self._owns_database:
            await self.database.close()

    async def resolve_subreddits(self, names: Sequence[str]) -> SubredditResolution:
        """What Reddit makes of each name ("small business" → r/smallbusiness, to confirm with the user)."""
        return await self.names.resolve(CallContext(), names, self.clock())

    async def still_visible(self, items: Sequence[RedditItem]) -> set[str]:
        """Ids of the items still up on Reddit, 100 per call; deleted or removed ones are also dropped from the cache.

        For the quotes an analysis is about to show: content taken down on Reddit is not shown.
        """
        context = CallContext()
        visible: set[str] = set()
        gone: list[RedditItem] = []
        for start in range(0, len(items), INFO_BATCH):
            batch = items[start : start + INFO_BATCH]
            fullnames = [("t3_" if i.kind is ItemKind.POST else "t1_") + i.reddit_id for i in batch]
            listing = await self.api.get(context, "api/info/", {"id": ",".join(fullnames)})
            up = {
                strip_kind(str(c["data"].get("name") or c["data"]["id"]))
                for c in listing["data"]["children"]
                if not is_gone(c["kind"], c["data"])
            }
            visible |= up
            gone += [i for i in batch if i.reddit_id not in up]
        if gone:
            async with self.database.unit_of_work() as session:
                repo = RedditCacheRepository(session)
                await repo.forget_posts([i.reddit_id for i in gone if i.kind is ItemKind.POST])
                await repo.forget_comments([i.reddit_id for i in gone if i.kind is ItemKind.COMMENT])
        return visible

    async def fetch_posts(
        self, request: AnalysisRequest, on_progress: ProgressCallback, meter: CallMeter | None = None
    ) -> PostBatch:
        """Posts of the request's readable subreddits in its window (matching its keywords when given);
        each call is reserved through ``meter`` before it is sent."""
        seen = 0

        async def announce(message: str) -> None:
            await on_progress(seen, 0, message)

        context = CallContext(announce, meter)
        now = self.clock()
        readable, notes = await self._readable(context, request.subreddits, now)
        # Sorted: the same subreddits in any order are the same listing (and the same cache entry).
        readable = sorted(readable, key=str.lower)
        start, end = request.time_range.start, request.time_range.end
        query = lucene_query(request.keywords) if request.keywords else None
        t, natural_start = time_filter(start, now) if query else ("all", REDDIT_FOUNDED)
        listing = ListingCache(self.database, ttl=self.ttl, natural_start=natural_start)

        async def on_page(posts: int) -> None:
            nonlocal seen
            seen += posts
            await on_progress(seen, 0)

        async def collect(names: list[str], *, probe: bool = False) -> ListingResult:
            key, fetch = self._listing(context, names, query, t)
            return await listing.collect(key, fetch, start, end, now, on_page, probe=probe)

        split = len(readable) > 1 and await listing.unreachable(self._listing(context, readable, query, t)[0], start)
        results: list[tuple[list[str], ListingResult]] = []
        if not split:
            # One multireddit listing for all; a first page that shows the window is past the cap splits it.
            whole = await collect(readable, probe=len(readable) > 1)
            results.append((readable, whole))
            split = whole.truncated and len(readable) > 1
        if split:
            # Reddit caps each listing at ~1,000 items: one listing per subreddit reaches further.
            results = [([name], await collect([name])) for name in readable]
        posts = list({p.reddit_id: p for _, r in results for p in r.posts}.values())
        posts.sort(key=lambda p: p.created_at)
        cut = [(names, r) for names, r in results if r.truncated]
        for names, result in cut:
            notes.append(self._truncation_note(names, result.reachable_from, start, bool(query), len(readable)))
        await on_progress(len(posts), len(posts))
        return PostBatch(posts=posts, api_calls=context.calls, truncated=bool(cut), notes=notes)

    def _listing(
        self, context: CallContext, names: list[str], query: str | None, t: str
    ) -> tuple[str, Callable[[str | None, int], Awaitable[Page]]]:
        """The cache key of a (multi)reddit listing, and how to fetch its pages."""
        multi = "+".join(names)
        params: dict[str, str | int] = {"limit": PAGE_SIZE}
        if query:
            path = f"r/{multi}/search/"
            params |= {"q": query, "restrict_sr": "on", "sort": "new", "syntax": "lucene", "t": t}
            key = f"search:{multi.lower()}:{query}"
        else:
            path = f"r/{multi}/new/"
            key = f"new:{multi.lower()}"

        async def fetch(after: str | None, count: int) -> Page:
            page_params = dict(params)
            if after:
                page_params |= {"after": after, "count": count}
            page: Page = await self.api.get(context, path, page_params)
            return page

        return key, fetch

    async def fetch_comments(
        self,
        posts: Sequence[RedditItem],
        max_calls: int,
        on_progress: ProgressCallback,
        meter: CallMeter | None = None,
    ) -> CommentBatch:
        """Comments of the posts most worth reading, within ``max_calls`` API calls (each reserved through ``meter``)."""
        return await self.comments.collect(posts, max_calls, on_progress, self.clock(), meter)

    async def _readable(self, context: CallContext, asked: Sequence[str], now: datetime) -> tuple[list[str], list[str]]:
        """The names that can be read (Reddit's spelling), and a note for each that cannot."""
        records = await self.names.check(context, asked, now)
        readable: list[str] = []
        notes: list[str] = []
        for name in asked:
            record = records.get(name.lower())
            state = SubredditState(record.state) if record else SubredditState.NOT_FOUND
            if record is not None and state is SubredditState.OK:
                readable.append(record.display_name)
                continue
            suggestions = await self.names.suggest(context, name) if state is SubredditState.NOT_FOUND else []
            notes.append(SubredditName(name, state, record.display_name if record else name, suggestions).message)
        if not readable:
            raise InvalidRequestError("None of the subreddits can be analysed.\n" + "\n".join(notes))
        if notes:
            notes.append("This analysis goes on with " + ", ".join(f"r/{n}" for n in readable) + ".")
        return readable, notes

    def _truncation_note(
        self, names: list[str], reachable_from: datetime, start: datetime, search: bool, subreddits: int
    ) -> str:
        days = max(1, math.floor((self.clock() - reachable_from).total_seconds() / 86400))
        what = "search results" if search else "posts"
        narrow = ["fewer subreddits"] if subreddits > 1 else []
        narrow += [f"a shorter window (the last {days} days are complete)"]
        if not search:
            narrow.append("keywords")
        return (
            f"This result is truncated: Reddit lists only the newest ~{LISTING_CAP:,} {what} of "
            + "+".join(f"r/{s}" for s in names)
            + f", which reach back to {reachable_from:%Y-%m-%d %H:%M} UTC, not to {start:%Y-%m-%d %H:%M} UTC. "
            + "To cover the whole window, narrow the request: "
            + ", ".join(narrow)
            + "."
        )
