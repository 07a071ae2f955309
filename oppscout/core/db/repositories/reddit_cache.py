"""Queries about Reddit data kept across analyses: cached listings, comment trees, subreddit names, dumps.

Rows here hold raw Reddit text. They are reused while fresh (the TTL is the caller's) and purged
once older than the retention, together with the raw items of analyses finished before then.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from oppscout.core.corpus import ItemKind, RedditItem
from oppscout.core.db.tables import (
    AnalysisRow,
    ItemRow,
    RedditCommentFetchRow,
    RedditCommentRow,
    RedditListingPostRow,
    RedditListingRow,
    RedditPostRow,
    RedditSubredditRow,
)

ORIGIN_API = "api"
ORIGIN_DUMP = "dump"
# SQLite allows a limited number of bound parameters per statement.
CHUNK = 200


@dataclass(frozen=True)
class ListingCoverage:
    """The part of a listing held in the cache: every post created in [start, end] as of ``fetched_at``."""

    key: str
    start: datetime
    end: datetime
    fetched_at: datetime
    older_cursor: str | None
    reached_cap: bool


@dataclass(frozen=True)
class SubredditRecord:
    """What Reddit said about a subreddit name."""

    name_key: str
    display_name: str
    state: str
    checked_at: datetime


@dataclass(frozen=True)
class PurgeCounts:
    """How many rows of raw Reddit text a purge removed."""

    posts: int
    comments: int
    analysis_items: int


async def _upsert(
    session: AsyncSession, table: type[DeclarativeBase], rows: list[dict[str, Any]], keys: list[str]
) -> None:
    """Insert rows, replacing the non-key columns of rows that exist (a refetch has newer scores)."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    module: Any = postgresql if dialect == "postgresql" else sqlite
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        statement = module.insert(table).values(chunk)
        columns = {c: statement.excluded[c] for c in chunk[0] if c not in keys}
        if columns:
            statement = statement.on_conflict_do_update(index_elements=keys, set_=columns)
        else:
            statement = statement.on_conflict_do_nothing(index_elements=keys)
        await session.execute(statement)


def _post(row: RedditPostRow) -> RedditItem:
    return RedditItem(
        kind=ItemKind.POST,
        reddit_id=row.reddit_id,
        subreddit=row.subreddit,
        author=row.author,
        title=row.title,
        body=row.body,
        score=row.score,
        num_comments=row.num_comments,
        created_at=row.created_at,
        permalink=row.permalink,
    )


def _comment(row: RedditCommentRow) -> RedditItem:
    return RedditItem(
        kind=ItemKind.COMMENT,
        reddit_id=row.reddit_id,
        subreddit=row.subreddit,
        author=row.author,
        body=row.body,
        score=row.score,
        created_at=row.created_at,
        permalink=row.permalink,
        post_id=row.post_id,
        parent_id=row.parent_id,
    )


class RedditCacheRepository:
    """Reads and writes the Reddit cache and imported dumps within one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Posts ------------------------------------------------------------------------------------

    async def save_posts(self, posts: Sequence[RedditItem], fetched_at: datetime, origin: str = ORIGIN_API) -> None:
        """Store or refresh posts."""
        rows = [
            {
                "reddit_id": p.reddit_id,
                "subreddit": p.subreddit,
                "subreddit_key": p.subreddit.lower(),
                "author": p.author,
                "title": p.title,
                "body": p.body,
                "score": p.score,
                "num_comments": p.num_comments,
                "created_at": p.created_at,
                "permalink": p.permalink,
                "origin": origin,
                "fetched_at": fetched_at,
            }
            for p in posts
        ]
        if rows:
            await _upsert(self.session, RedditPostRow, rows, ["reddit_id"])

    async def forget_posts(self, reddit_ids: Iterable[str]) -> None:
        """Drop posts (and their comments) that were deleted or removed on Reddit."""
        ids = list(reddit_ids)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            await self.session.execute(delete(RedditPostRow).where(RedditPostRow.reddit_id.in_(chunk)))
            await self.session.execute(delete(RedditListingPostRow).where(RedditListingPostRow.reddit_id.in_(chunk)))
            await self.session.execute(delete(RedditCommentRow).where(RedditCommentRow.post_id.in_(chunk)))
            await self.session.execute(delete(RedditCommentFetchRow).where(RedditCommentFetchRow.post_id.in_(chunk)))

    async def forget_comments(self, reddit_ids: Iterable[str]) -> None:
        """Drop comments that were deleted or removed on Reddit."""
        ids = list(reddit_ids)
        for start in range(0, len(ids), CHUNK):
            await self.session.execute(
                delete(RedditCommentRow).where(RedditCommentRow.reddit_id.in_(ids[start : start + CHUNK]))
            )

    async def posts_by_origin(
        self, origin: str, subreddit_keys: Sequence[str], start: datetime, end: datetime
    ) -> list[RedditItem]:
        """Stored posts of one origin in the subreddits and window, oldest first."""
        query = (
            select(RedditPostRow)
            .where(RedditPostRow.origin == origin)
            .where(RedditPostRow.subreddit_key.in_(list(subreddit_keys)))
            .where(RedditPostRow.created_at >= start, RedditPostRow.created_at <= end)
            .order_by(RedditPostRow.created_at)
        )
        return [_post(r) for r in (await self.session.execute(query)).scalars()]

    async def origin_subreddits(self, origin: str) -> list[str]:
        """Display names of the subreddits that have stored posts of one origin."""
        query = select(RedditPostRow.subreddit).where(RedditPostRow.origin == origin).distinct()
        return sorted({s for s in (await self.session.execute(query)).scalars()}, key=str.lower)

    # Listings ---------------------------------------------------------------------------------

    async def listing(self, key: str) -> ListingCoverage | None:
        """The cached coverage of a listing, if any."""
        row = await self.session.get(RedditListingRow, key)
        if row is None:
            return None
        return ListingCoverage(
            row.key, row.covered_start, row.covered_end, row.fetched_at, row.older_cursor, row.reached_cap
        )

    async def save_listing(self, coverage: ListingCoverage) -> None:
        """Record which stretch of a listing the cache holds."""
        row = {
            "key": coverage.key,
            "covered_start": coverage.start,
            "covered_end": coverage.end,
            "fetched_at": coverage.fetched_at,
            "older_cursor": coverage.older_cursor,
            "reached_cap": coverage.reached_cap,
        }
        await _upsert(self.session, RedditListingRow, [row], ["key"])

    async def add_listing_posts(self, key: str, post_ids: Iterable[str]) -> None:
        """Record that these posts are in listing ``key``."""
        members = [{"listing_key": key, "reddit_id": i} for i in dict.fromkeys(post_ids)]
        if members:
            await _upsert(self.session, RedditListingPostRow, members, ["listing_key", "reddit_id"])

    async def listing_size(self, key: str) -> int:
        """How many posts of listing ``key`` the cache holds."""
        query = select(func.count()).select_from(RedditListingPostRow).where(RedditListingPostRow.listing_key == key)
        return int((await self.session.execute(query)).scalar_one())

    async def drop_listing(self, key: str) -> None:
        """Forget a listing's coverage and membership (it went stale)."""
        await self.session.execute(delete(RedditListingPostRow).where(RedditListingPostRow.listing_key == key))
        await self.session.execute(delete(RedditListingRow).where(RedditListingRow.key == key))

    async def listing_posts(self, key: str, start: datetime, end: datetime) -> list[RedditItem]:
        """Cached posts of a listing created in [start, end], oldest first."""
        query = (
            select(RedditPostRow)
            .join(RedditListingPostRow, RedditListingPostRow.reddit_id == RedditPostRow.reddit_id)
            .where(RedditListingPostRow.listing_key == key)
            .where(RedditPostRow.created_at >= start, RedditPostRow.created_at <= end)
            .order_by(RedditPostRow.created_at)
        )
        return [_post(r) for r in (await self.session.execute(query)).scalars()]

    # Comments ---------------------------------------------------------------------------------

    async def fresh_comment_trees(self, post_ids: Sequence[str], since: datetime) -> set[str]:
        """Posts among ``post_ids`` whose comment tree was fetched at or after ``since``."""
        found: set[str] = set()
        for start in range(0, len(post_ids), CHUNK):
            query = (
                select(RedditCommentFetchRow.post_id)
                .where(RedditCommentFetchRow.post_id.in_(list(post_ids[start : start + CHUNK])))
                .where(RedditCommentFetchRow.fetched_at >= since)
            )
            found.update((await self.session.execute(query)).scalars())
        return found

    async def save_comment_tree(
        self, post_id: str, comments: Sequence[RedditItem], fetched_at: datetime, origin: str = ORIGIN_API
    ) -> None:
        """Replace the stored comments of a post with a freshly fetched tree."""
        await self.session.execute(delete(RedditCommentRow).where(RedditCommentRow.post_id == post_id))
        await self.save_comments(comments, fetched_at, origin)
        fetch = {"post_id": post_id, "fetched_at": fetched_at, "comment_count": len(comments)}
        await _upsert(self.session, RedditCommentFetchRow, [fetch], ["post_id"])

    async def save_comments(self, comments: Sequence[RedditItem], fetched_at: datetime, origin: str) -> None:
        """Store or refresh comments (a dump import adds them one batch at a time)."""
        rows = [
            {
                "reddit_id": c.reddit_id,
                "post_id": c.post_id or "",
                "parent_id": c.parent_id or c.post_id or "",
                "subreddit": c.subreddit,
                "author": c.author,
                "body": c.body,
                "score": c.score,
                "created_at": c.created_at,
                "permalink": c.permalink,
                "origin": origin,
                "fetched_at": fetched_at,
            }
            for c in comments
        ]
        if rows:
            await _upsert(self.session, RedditCommentRow, rows, ["reddit_id"])

    async def comments_of(self, post_ids: Sequence[str]) -> list[RedditItem]:
        """Stored comments of the posts, oldest first."""
        found: list[RedditItem] = []
        for start in range(0, len(post_ids), CHUNK):
            query = (
                select(RedditCommentRow)
                .where(RedditCommentRow.post_id.in_(list(post_ids[start : start + CHUNK])))
                .order_by(RedditCommentRow.created_at)
            )
            found.extend(_comment(r) for r in (await self.session.execute(query)).scalars())
        return found

    # Subreddit names --------------------------------------------------------------------------

    async def subreddits(self, name_keys: Sequence[str], since: datetime) -> dict[str, SubredditRecord]:
        """What Reddit said about these names at or after ``since``, by lower-case name."""
        query = (
            select(RedditSubredditRow)
            .where(RedditSubredditRow.name_key.in_(list(name_keys)))
            .where(RedditSubredditRow.checked_at >= since)
        )
        return {
            r.name_key: SubredditRecord(r.name_key, r.display_name, r.state, r.checked_at)
            for r in (await self.session.execute(query)).scalars()
        }

    async def save_subreddits(self, records: Sequence[SubredditRecord]) -> None:
        """Remember what Reddit said about subreddit names."""
        rows = [
            {"name_key": r.name_key, "display_name": r.display_name, "state": r.state, "checked_at": r.checked_at}
            for r in records
        ]
        if rows:
            await _upsert(self.session, RedditSubredditRow, rows, ["name_key"])

    # Retention --------------------------------------------------------------------------------

    async def purge_before(self, cutoff: datetime) -> PurgeCounts:
        """Delete raw Reddit text fetched or imported before ``cutoff``.

        Also deletes the collected items of analyses finished before ``cutoff``: their results
        (with the quotes they show) stay on the analysis row.
        """
        old_posts = select(RedditPostRow.reddit_id).where(RedditPostRow.fetched_at < cutoff)
        await self.session.execute(delete(RedditListingPostRow).where(RedditListingPostRow.reddit_id.in_(old_posts)))
        posts = await self.session.execute(delete(RedditPostRow).where(RedditPostRow.fetched_at < cutoff))
        comments = await self.session.execute(delete(RedditCommentRow).where(RedditCommentRow.fetched_at < cutoff))
        await self.session.execute(delete(RedditCommentFetchRow).where(RedditCommentFetchRow.fetched_at < cutoff))
        # A listing whose stretch reaches before the cutoff lost posts: fetch it again rather than trust it.
        stale = select(RedditListingRow.key).where(RedditListingRow.covered_start < cutoff)
        await self.session.execute(delete(RedditListingPostRow).where(RedditListingPostRow.listing_key.in_(stale)))
        await self.session.execute(delete(RedditListingRow).where(RedditListingRow.covered_start < cutoff))
        finished = select(AnalysisRow.id).where(
            or_(
                AnalysisRow.completed_at < cutoff,
                (AnalysisRow.completed_at.is_(None)) & (AnalysisRow.created_at < cutoff),
            )
        )
        items = await self.session.execute(delete(ItemRow).where(ItemRow.analysis_id.in_(finished)))
        return PurgeCounts(
            posts=int(getattr(posts, "rowcount", 0) or 0),
            comments=int(getattr(comments, "rowcount", 0) or 0),
            analysis_items=int(getattr(items, "rowcount", 0) or 0),
        )
