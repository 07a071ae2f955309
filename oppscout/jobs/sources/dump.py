"""Reddit data dumps: import NDJSON files (optionally ``.zst``) and analyse them without API access.

The common layout has one post or comment per line, as Reddit's API returns them: posts carry
``title``/``selftext``, comments carry ``body``/``link_id``/``parent_id``. Imported items are
stored beside the API cache (origin "dump") and follow the same retention.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import zstandard

from oppscout.core.analysis import relevance
from oppscout.core.contract import AnalysisRequest, utcnow
from oppscout.core.corpus import ItemKind, RedditItem
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.reddit_cache import ORIGIN_DUMP, RedditCacheRepository
from oppscout.core.errors import InvalidRequestError
from oppscout.core.ports import CommentBatch, PostBatch, ProgressCallback
from oppscout.jobs.sources.reddit_json import comment_from_json, post_from_json

BATCH = 500
# Pushshift-style dumps are compressed with a long window; the reader must allow it.
ZSTD_WINDOW = 2**31


@dataclass
class ImportReport:
    """What an import stored and skipped."""

    posts: int = 0
    comments: int = 0
    skipped: int = 0
    subreddits: set[str] = field(default_factory=set)

    def summary(self) -> str:
        """One line for the terminal."""
        subs = ", ".join(f"r/{s}" for s in sorted(self.subreddits, key=str.lower)) or "no subreddits"
        return (
            f"Imported {self.posts:,} posts and {self.comments:,} comments from {subs}; "
            f"skipped {self.skipped:,} lines (deleted, removed, bots, near-empty or unreadable)."
        )


def _open(path: Path) -> IO[str]:
    raw = path.open("rb")
    if path.suffix == ".zst":
        reader = zstandard.ZstdDecompressor(max_window_size=ZSTD_WINDOW).stream_reader(raw, closefd=True)
        return io.TextIOWrapper(reader, encoding="utf-8", errors="replace")
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace")


def read_items(path: Path) -> Iterator[RedditItem | None]:
    """Items of a dump, one per line; None for a line that is not kept."""
    with _open(path) as lines:
        for line in lines:
            if not line.strip():
                continue
            try:
                data: dict[str, Any] = json.loads(line)
                if "data" in data and isinstance(data["data"], dict):
                    data = data["data"]
                if "title" in data:
                    yield post_from_json(data)
                elif "body" in data and "link_id" in data:
                    yield comment_from_json(data)
                else:
                    yield None
            except (ValueError, KeyError, TypeError):
                yield None


def _batches(path: Path) -> Iterator[list[RedditItem | None]]:
    batch: list[RedditItem | None] = []
    for item in read_items(path):
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def import_dump(database: Database, path: Path, now: datetime | None = None) -> ImportReport:
    """Store the posts and comments of a dump file; re-importing the same file stores nothing twice."""
    if not await asyncio.to_thread(path.is_file):
        raise InvalidRequestError(f"There is no file at {path}.")
    stamp = now or utcnow()
    report = ImportReport()
    batches = _batches(path)
    while True:
        # Reading and decompressing block: do it off the event loop, a batch at a time.
        batch = await asyncio.to_thread(next, batches, None)
        if batch is None:
            return report
        kept = [item for item in batch if item is not None]
        report.skipped += len(batch) - len(kept)
        posts = [i for i in kept if i.kind is ItemKind.POST]
        comments = [i for i in kept if i.kind is ItemKind.COMMENT]
        report.posts += len(posts)
        report.comments += len(comments)
        report.subreddits.update(i.subreddit for i in kept)
        async with database.unit_of_work() as session:
            repo = RedditCacheRepository(session)
            await repo.save_posts(posts, stamp, ORIGIN_DUMP)
            await repo.save_comments(comments, stamp, ORIGIN_DUMP)


class DumpSource:
    """A ``PostSource`` over imported dumps: no API calls, nothing to pay."""

    name = "dump"

    def __init__(self, database: Database, *, owns_database: bool = False) -> None:
        self.database = database
        self._owns_database = owns_database

    async def close(self) -> None:
        """Release the database connections this source opened itself."""
        if self._owns_database:
            await self.database.close()

    async def subreddits(self) -> list[str]:
        """Subreddits with imported posts."""
        async with self.database.unit_of_work() as session:
            return await RedditCacheRepository(session).origin_subreddits(ORIGIN_DUMP)

    async def still_visible(self, items: Sequence[RedditItem]) -> set[str]:
        """Every item: this data set does not change after it was written."""
        return {item.reddit_id for item in items}

    async def fetch_posts(self, request: AnalysisRequest, on_progress: ProgressCallback) -> PostBatch:
        """Imported posts of the request's subreddits and window, matching its keywords when given."""
        async with self.database.unit_of_work() as session:
            found = await RedditCacheRepository(session).posts_by_origin(
                ORIGIN_DUMP, request.subreddit_keys, request.time_range.start, request.time_range.end
            )
        if request.keywords:
            keywords = request.keywords
            found = [p for p in found if relevance.lexical_match(p.text, keywords)]
        await on_progress(len(found), len(found))
        notes = []
        present = {p.subreddit.lower() for p in found}
        missing = [s for s in request.subreddits if s.lower() not in present]
        if missing:
            known = await self.subreddits()
            notes.append(
                "The imported dumps have no posts in this window from "
                + ", ".join(f"r/{m}" for m in missing)
                + (f"; they cover {', '.join('r/' + s for s in known)}." if known else ".")
                + " Import more with `oppscout import FILE`."
            )
        return PostBatch(posts=found, api_calls=0, notes=notes)

    async def fetch_comments(
        self, posts: Sequence[RedditItem], max_calls: int, on_progress: ProgressCallback
    ) -> CommentBatch:
        """Every imported comment of the posts (reading them costs nothing)."""
        async with self.database.unit_of_work() as session:
            comments = await RedditCacheRepository(session).comments_of([p.reddit_id for p in posts])
        await on_progress(len(comments), len(comments))
        return CommentBatch(comments=comments, api_calls=0)
