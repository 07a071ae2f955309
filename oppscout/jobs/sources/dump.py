"""Reddit data dumps: import NDJSON files (optionally ``.zst``) and analyse them without API access.

The common layout has one post or comment per line, as Reddit's API returns them: posts carry
``title``/``selftext``, comments carry ``body``/``link_id``/``parent_id``. Imported items are
stored beside the API cache (origin "dump") and follow the same retention.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
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
from oppscout.core.ports import CallMeter, CommentBatch, PostBatch, ProgressCallback
from oppscout.core.subreddit_names import SubredditResolution, resolve_known
from oppscout.jobs.sources.reddit_json import comment_from_json, post_from_json

BATCH = 500
# Pushshift-style dumps are compressed with a long window; the reader must allow it.
ZSTD_WINDOW = 2**31
CHUNK = 1 << 20
MAX_LINE_BYTES = 8 << 20
"""A longer line is skipped unread: no post or comment is that long, and parsing it would hold it in memory."""
LATEST_CREATED_UTC = 4_102_444_800  # 2100-01-01: later (or non-finite) timestamps are not Reddit's
MAX_COUNT = 2**63 - 1  # scores and comment counts are stored as 64-bit integers

log = logging.getLogger(__name__)


class UnreadableDumpError(InvalidRequestError):
    """The dump file cannot be read at all (not zstd, truncated, or not a file we may open)."""


@dataclass
class ImportReport:
    """What an import stored and skipped, with how many lines were skipped for each reason."""

    posts: int = 0
    comments: int = 0
    skipped: int = 0
    subreddits: set[str] = field(default_factory=set)
    reasons: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """One line for the terminal."""
        subs = ", ".join(f"r/{s}" for s in sorted(self.subreddits, key=str.lower)) or "no subreddits"
        why = "; ".join(f"{count:,} {reason}" for reason, count in self.reasons.most_common())
        return (
            f"Imported {self.posts:,} posts and {self.comments:,} comments from {subs}; "
            f"skipped {self.skipped:,} lines" + (f" ({why})." if why else ".")
        )


def _zstd_chunks(raw: IO[bytes], path: Path) -> Iterator[bytes]:
    """The decompressed bytes of every frame; a frame cut short raises instead of ending quietly."""
    context = zstandard.ZstdDecompressor(max_window_size=ZSTD_WINDOW)
    frame = context.decompressobj()
    started = False
    while chunk := raw.read(CHUNK):
        while chunk:
            try:
                out = frame.decompress(chunk)
            except zstandard.ZstdError as error:
                raise UnreadableDumpError(f"{path} is not a readable zstd file: {error}.") from error
            started = True
            if out:
                yield out
            if not frame.eof:
                break
            # One frame ended; the rest of the chunk starts the next one (dumps are often many frames).
            chunk, frame, started = frame.unused_data, context.decompressobj(), False
    if started and not frame.eof:
        raise UnreadableDumpError(f"{path} is truncated: its last zstd frame ends early.")


def _lines(path: Path) -> Iterator[bytes | None]:
    """The file's lines as bytes; None for a line longer than ``MAX_LINE_BYTES``."""
    try:
        raw = path.open("rb")
    except OSError as error:
        raise UnreadableDumpError(f"Cannot open {path}: {error.strerror or error}.") from error
    with raw:
        chunks: Iterator[bytes] = (
            _zstd_chunks(raw, path) if path.suffix == ".zst" else iter(lambda: raw.read(CHUNK), b"")
        )
        pending = b""
        too_long = False
        try:
            for chunk in chunks:
                pieces = (pending + chunk).split(b"\n")
                pending = pieces.pop()
                for piece in pieces:
                    yield None if too_long else piece
                    too_long = False
                if len(pending) > MAX_LINE_BYTES:
                    pending, too_long = b"", True
        except OSError as error:
            raise UnreadableDumpError(f"Cannot read {path}: {error.strerror or error}.") from error
        if pending or too_long:
            yield None if too_long else pending


def _bad_field(data: dict[str, Any]) -> str | None:
    """Why a line's numbers cannot be stored, or None when they can."""
    try:
        created = float(data.get("created_utc", 0))
    except (TypeError, ValueError):
        return "unreadable created_utc"
    if not 0 <= created <= LATEST_CREATED_UTC:  # also false for NaN
        return "created_utc out of range"
    for name in ("score", "num_comments"):
        value = data.get(name) or 0
        if not isinstance(value, int | float) or isinstance(value, bool) or not -MAX_COUNT <= value <= MAX_COUNT:
            return f"{name} not a 64-bit number"
    return None


def _item(line: bytes) -> tuple[RedditItem | None, str | None]:
    """The item on one line, or None and why it was skipped (None reason: a post or comment not kept)."""
    try:
        data: Any = json.loads(line)
    except RecursionError:
        return None, "nested too deeply"
    except ValueError:
        return None, "not JSON"
    if isinstance(data, dict) and isinstance(data.get("data"), dict):
        data = data["data"]
    if not isinstance(data, dict):
        return None, "not a JSON object"
    if "title" not in data and not ("body" in data and "link_id" in data):
        return None, "not a post or comment"
    if bad := _bad_field(data):
        return None, bad
    try:
        item = post_from_json(data) if "title" in data else comment_from_json(data)
    except (ValueError, KeyError, TypeError, OverflowError) as error:
        return None, f"missing or bad field ({type(error).__name__})"
    return item, None if item is not None else "deleted, removed, by a bot or near-empty"


def read_items(path: Path) -> Iterator[tuple[RedditItem | None, str | None]]:
    """Items of a dump, one per non-empty line, each with why it was skipped when it was.

    Raises ``UnreadableDumpError`` when the file itself cannot be read (bad or truncated zstd).
    """
    for line in _lines(path):
        if line is None:
            yield None, "line too long"
        elif line.strip():
            yield _item(line)


def _batches(path: Path) -> Iterator[list[tuple[RedditItem | None, str | None]]]:
    batch: list[tuple[RedditItem | None, str | None]] = []
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
            if report.skipped:
                log.info("dump %s: skipped %s", path.name, dict(report.reasons))
            return report
        kept = [item for item, _ in batch if item is not None]
        report.skipped += len(batch) - len(kept)
        report.reasons.update(reason or "skipped" for item, reason in batch if item is None)
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

    async def resolve_subreddits(self, names: Sequence[str]) -> SubredditResolution:
        """The names the imported dumps cover, and suggestions from them for any other."""
        return resolve_known(names, await self.subreddits(), where="in the imported dumps")

    async def still_visible(self, items: Sequence[RedditItem]) -> set[str]:
        """Every item: this data set does not change after it was written."""
        return {item.reddit_id for item in items}

    async def fetch_posts(
        self, request: AnalysisRequest, on_progress: ProgressCallback, meter: CallMeter | None = None
    ) -> PostBatch:
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
        self,
        posts: Sequence[RedditItem],
        max_calls: int,
        on_progress: ProgressCallback,
        meter: CallMeter | None = None,
    ) -> CommentBatch:
        """Every imported comment of the posts (reading them costs nothing)."""
        async with self.database.unit_of_work() as session:
            comments = await RedditCacheRepository(session).comments_of([p.reddit_id for p in posts])
        await on_progress(len(comments), len(comments))
        return CommentBatch(comments=comments, api_calls=0)
