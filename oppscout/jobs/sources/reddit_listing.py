"""Walking one Reddit listing (a multireddit's ``new`` or a search sorted by new) through the cache.

A listing is newest first, 100 items a page, and Reddit stops it after about 1,000 items. The
cache remembers which stretch of time [start, end] of a listing it holds, and where to continue
for older items. The TTL says how long the newest edge of that stretch counts as current: a
repeat within the TTL reads the cache and calls nothing; after it, a later window fetches only
the pages newer than the cached stretch; an earlier window continues from the saved cursor.
Every page is saved as it arrives, so a failed collection loses nothing already fetched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from oppscout.core.corpus import RedditItem
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.reddit_cache import ListingCoverage, RedditCacheRepository
from oppscout.jobs.sources.reddit_json import post_from_json, strip_kind

PAGE_SIZE = 100
LISTING_CAP = 1000
# Reddit's cap is "about" 1,000: a listing that ends after this many items was cut, not exhausted.
CAP_SUSPECT = 900
REDDIT_FOUNDED = datetime(2005, 6, 23, tzinfo=UTC)

Page = dict[str, Any]
FetchPage = Callable[[str | None, int], Awaitable[Page]]
"""Fetches the page after a cursor (None: the newest page), given how many items came before."""
PageSeen = Callable[[int], Awaitable[None]]


@dataclass(frozen=True)
class ListingResult:
    """The posts of a listing in a window, and whether Reddit's cap kept older ones out of reach."""

    posts: list[RedditItem]
    truncated: bool
    reachable_from: datetime
    pages_fetched: int


@dataclass
class _Walk:
    """Where one walk down a listing stands."""

    after: str | None = None
    count: int = 0
    oldest: datetime | None = None
    ended: bool = False
    pages: int = 0


class ListingCache:
    """Collects one listing for a window, spending as few pages as the cache allows."""

    def __init__(self, database: Database, *, ttl: timedelta, natural_start: datetime = REDDIT_FOUNDED) -> None:
        self.database = database
        self.ttl = ttl
        self.natural_start = natural_start

    async def unreachable(self, key: str, start: datetime) -> bool:
        """Whether the cache already knows that listing ``key`` cannot reach back to ``start``."""
        async with self.database.unit_of_work() as session:
            cached = await RedditCacheRepository(session).listing(key)
        return cached is not None and cached.reached_cap and cached.start > start

    async def collect(
        self,
        key: str,
        fetch: FetchPage,
        start: datetime,
        end: datetime,
        now: datetime,
        on_page: PageSeen,
        *,
        probe: bool = False,
    ) -> ListingResult:
        """Posts of listing ``key`` created in [start, end]; ``fetch`` is called only for what is missing.

        With ``probe``, a fresh walk stops after its first page when that page shows the window
        holds more than the cap: the result is then truncated, and the caller splits the listing.
        """
        async with self.database.unit_of_work() as session:
            cached = await RedditCacheRepository(session).listing(key)
        pages = 0
        coverage = cached
        # Within the TTL the cached newest edge counts as current; after it, only what is newer is fetched.
        if coverage is None or (end > coverage.end and now - coverage.end > self.ttl):
            coverage, walked = await self._walk_newest(key, fetch, start, now, coverage, on_page, probe)
            pages += walked
        while coverage.start > start and coverage.older_cursor and not coverage.reached_cap:
            coverage, walked = await self._walk_older(key, fetch, start, coverage, on_page)
            pages += walked
        async with self.database.unit_of_work() as session:
            posts = await RedditCacheRepository(session).listing_posts(key, start, end)
        return ListingResult(posts, coverage.start > start, coverage.start, pages)

    async def _walk_newest(
        self,
        key: str,
        fetch: FetchPage,
        start: datetime,
        now: datetime,
        cached: ListingCoverage | None,
        on_page: PageSeen,
        probe: bool = False,
    ) -> tuple[ListingCoverage, int]:
        """Page from the newest item down to the window start, or down to the cached stretch."""
        target = start if cached is None else cached.end
        walk = _Walk()
        while True:
            await self._page(key, fetch, walk, now, on_page)
            reached = walk.oldest is not None and walk.oldest < target
            if probe and cached is None and not (reached or walk.ended) and self._beyond_cap(walk, start, now):
                # Marked as capped, so a repeat splits at once instead of probing again.
                coverage = replace(self._fresh_coverage(key, walk, now), older_cursor=None, reached_cap=True)
                await self._save(coverage)
                return coverage, walk.pages
            if cached is None:
                # Fresh listing: the cache holds [oldest seen, now] after every page.
                await self._save(self._fresh_coverage(key, walk, now))
            if reached or walk.ended:
                break
        if cached is not None and reached:
            # Joined the cached stretch: the cache now holds it plus everything newer.
            coverage = replace(cached, end=now, fetched_at=now)
            await self._save(coverage)
            return coverage, walk.pages
        coverage = self._fresh_coverage(key, walk, now)
        await self._save(coverage)
        return coverage, walk.pages

    async def _walk_older(
        self, key: str, fetch: FetchPage, start: datetime, coverage: ListingCoverage, on_page: PageSeen
    ) -> tuple[ListingCoverage, int]:
        """Continue from the saved cursor to items older than ``start``."""
        async with self.database.unit_of_work() as session:
            known = await RedditCacheRepository(session).listing_size(key)
        walk = _Walk(after=coverage.older_cursor, count=known)
        while True:
            await self._page(key, fetch, walk, coverage.fetched_at, on_page)
            if walk.pages == 1 and walk.count == known:
                # Nothing after the saved cursor: it fell past Reddit's cap. What is older is out of reach.
                coverage = replace(coverage, older_cursor=None, reached_cap=True)
                await self._save(coverage)
                return coverage, walk.pages
            oldest = walk.oldest or coverage.start
            coverage = replace(
                coverage,
                start=min(coverage.start, self.natural_start if walk.ended and not self._capped(walk) else oldest),
                older_cursor=None if walk.ended else walk.after,
                reached_cap=walk.ended and self._capped(walk),
            )
            await self._save(coverage)
            if walk.ended or oldest < start:
                return coverage, walk.pages

    async def _page(self, key: str, fetch: FetchPage, walk: _Walk, fetched_at: datetime, on_page: PageSeen) -> None:
        page = await fetch(walk.after, walk.count)
        children = [c["data"] for c in page["data"]["children"] if c.get("kind") == "t3"]
        walk.pages += 1
        walk.count += len(children)
        walk.after = page["data"].get("after")
        walk.ended = not walk.after or not children
        posts: list[RedditItem] = []
        gone: list[str] = []
        for data in children:
            post = post_from_json(data)
            if post is None:
                gone.append(strip_kind(str(data.get("id") or data.get("name"))))
            else:
                posts.append(post)
            created = datetime.fromtimestamp(float(data["created_utc"]), UTC)
            walk.oldest = created if walk.oldest is None else min(walk.oldest, created)
        async with self.database.unit_of_work() as session:
            repo = RedditCacheRepository(session)
            await repo.forget_posts(gone)
            await repo.save_posts(posts, fetched_at)
            await repo.add_listing_posts(key, [p.reddit_id for p in posts])
        await on_page(len(posts))

    @staticmethod
    def _beyond_cap(walk: _Walk, start: datetime, now: datetime) -> bool:
        """Whether, at the rate seen so far, the window holds more items than Reddit lists."""
        if walk.oldest is None or walk.oldest >= now:
            return False
        estimate = walk.count * (now - start).total_seconds() / (now - walk.oldest).total_seconds()
        return estimate > CAP_SUSPECT

    def _capped(self, walk: _Walk) -> bool:
        return walk.ended and walk.count >= CAP_SUSPECT

    def _fresh_coverage(self, key: str, walk: _Walk, now: datetime) -> ListingCoverage:
        capped = self._capped(walk)
        start = self.natural_start if walk.ended and not capped else (walk.oldest or now)
        return ListingCoverage(
            key=key,
            start=start,
            end=now,
            fetched_at=now,
            older_cursor=None if walk.ended else walk.after,
            reached_cap=capped,
        )

    async def _save(self, coverage: ListingCoverage) -> None:
        async with self.database.unit_of_work() as session:
            await RedditCacheRepository(session).save_listing(coverage)
