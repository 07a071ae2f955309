"""Dump source: `oppscout import FILE` (NDJSON, optionally .zst), then analyses read the imported data."""

from __future__ import annotations

import argparse
import csv
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import zstandard

from oppscout.cli import cmd_import
from oppscout.core.contract import utcnow
from oppscout.core.db.database import Database
from oppscout.core.settings import Settings
from oppscout.jobs.sources.dump import DumpSource, import_dump
from tests.jobs.sources.conftest import ProgressLog, make_request


def dump_lines(shared: Path, posts: int = 40) -> tuple[list[dict[str, Any]], list[str]]:
    """Real r/smallbusiness posts as a dump (one every 6 hours back from now), comments and noise."""
    rows = list(csv.DictReader((shared / "data/reddit/top-posts-2013/data/smallbusiness.csv").open(encoding="utf-8")))
    now = utcnow().timestamp()
    things: list[dict[str, Any]] = []
    for n, row in enumerate(rows[:posts]):
        things.append(
            {
                "id": row["id"],
                "subreddit": "smallbusiness",
                "author": f"owner{n}",
                "title": row["title"],
                "selftext": row["selftext"],
                "score": int(row["score"]),
                "num_comments": int(row["num_comments"]),
                "created_utc": int(now - 3600 - n * 6 * 3600),
            }
        )
    first = things[0]
    comment = {"link_id": f"t3_{first['id']}", "subreddit": "smallbusiness", "score": 3}
    things += [
        {**comment, "id": "c1", "parent_id": f"t3_{first['id']}", "author": "a", "body": "We switched invoicing tools twice this year.", "created_utc": first["created_utc"] + 60},
        {**comment, "id": "c2", "parent_id": "t1_c1", "author": "b", "body": "Which one did you end up keeping, and why?", "created_utc": first["created_utc"] + 120},
        {**comment, "id": "c3", "parent_id": "t1_c1", "author": "AutoModerator", "body": "Please read the rules before posting here.", "created_utc": first["created_utc"] + 130},
        {**comment, "id": "c4", "parent_id": f"t3_{first['id']}", "author": "[deleted]", "body": "[deleted]", "created_utc": first["created_utc"] + 140},
    ]  # fmt: skip
    return things, [json.dumps(t) for t in things] + ["{not json", ""]


def write_dump(path: Path, lines: list[str]) -> Path:
    data = ("\n".join(lines) + "\n").encode()
    if path.suffix == ".zst":
        path.write_bytes(zstandard.ZstdCompressor().compress(data))
    else:
        path.write_bytes(data)
    return path


async def test_import_command_then_analyses_read_the_dump(
    settings: Settings, database: Database, shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    things, lines = dump_lines(shared_dir)
    path = write_dump(tmp_path / "RS_smallbusiness.ndjson", lines)

    code = await _in_thread(cmd_import, settings, argparse.Namespace(file=str(path)))

    assert code == 0
    out = capsys.readouterr().out
    assert "Imported 40 posts and 2 comments from r/smallbusiness" in out
    assert "skipped 3 lines" in out
    source = DumpSource(database)
    request = make_request(["smallbusiness", "freelance"], 5)
    batch = await source.fetch_posts(request, ProgressLog())
    in_window = [t for t in things[:40] if t["created_utc"] >= request.time_range.start.timestamp()]
    assert {p.reddit_id for p in batch.posts} == {t["id"] for t in in_window}
    assert batch.api_calls == 0
    assert "no posts in this window from r/freelance" in batch.notes[0]
    comments = await source.fetch_comments(batch.posts, 0, ProgressLog())
    assert {(c.reddit_id, c.parent_id) for c in comments.comments} == {("c1", things[0]["id"]), ("c2", "c1")}


async def test_zst_dumps_import_the_same_and_reimport_adds_nothing(
    database: Database, shared_dir: Path, tmp_path: Path
) -> None:
    _, lines = dump_lines(shared_dir, posts=25)
    path = write_dump(tmp_path / "RS_2026-11.zst", lines)

    report = await import_dump(database, path)
    again = await import_dump(database, path)

    assert (report.posts, report.comments, report.skipped) == (25, 2, 3)
    assert again.posts == 25
    posts = await DumpSource(database).fetch_posts(make_request(["smallbusiness"], 30), ProgressLog())
    assert len(posts.posts) == 25


async def test_keywords_filter_imported_posts(database: Database, shared_dir: Path, tmp_path: Path) -> None:
    things, lines = dump_lines(shared_dir)
    await import_dump(database, write_dump(tmp_path / "d.ndjson", lines))

    batch = await DumpSource(database).fetch_posts(make_request(["smallbusiness"], 11, ["business"]), ProgressLog())

    assert batch.posts
    assert all("business" in p.text.lower() for p in batch.posts)
    assert len(batch.posts) < len(
        [t for t in things[:40] if t["created_utc"] >= (utcnow() - timedelta(days=11)).timestamp()]
    )


async def _in_thread(fn: Any, *args: Any) -> Any:
    # cmd_import runs its own event loop (asyncio.run), as the CLI does.
    import asyncio

    return await asyncio.to_thread(fn, *args)


MALFORMED = {
    '"just a string"': "not a JSON object",
    "[1, 2, 3]": "not a JSON object",
    "null": "not a JSON object",
    "{not json": "not JSON",
    "[" * 100_000 + "]" * 100_000: "nested too deeply",
    '{"id": "a", "subreddit": "x", "author": "u", "title": "t", "created_utc": 1e20}': "created_utc out of range",
    '{"id": "a", "subreddit": "x", "author": "u", "title": "t", "created_utc": NaN}': "created_utc out of range",
    '{"id": "a", "subreddit": "x", "author": "u", "title": "t", "created_utc": "soon"}': "unreadable created_utc",
    '{"id": "a", "subreddit": "x", "author": "u", "title": "t", "created_utc": 1, "score": 36893488147419103232}': (
        "score not a 64-bit number"
    ),
    '{"id": "a", "subreddit": "x", "author": "u", "title": "t", "created_utc": 1, "num_comments": "many"}': (
        "num_comments not a 64-bit number"
    ),
    '{"id": "a", "author": "u", "title": "t", "created_utc": 1}': "missing or bad field (KeyError)",
    '{"kind": "t5", "data": {"display_name": "x"}}': "not a post or comment",
}


@pytest.mark.parametrize("suffix", [".ndjson", ".zst"])
async def test_malformed_lines_are_skipped_and_counted_by_reason(
    database: Database, shared_dir: Path, tmp_path: Path, suffix: str
) -> None:
    _, good = dump_lines(shared_dir, posts=5)
    path = write_dump(tmp_path / f"d{suffix}", good[:5] + list(MALFORMED) + good[5:])

    report = await import_dump(database, path)

    assert report.posts == 5
    expected: dict[str, int] = {}
    for reason in [*MALFORMED.values(), "not JSON"]:  # dump_lines adds one "{not json" of its own
        expected[reason] = expected.get(reason, 0) + 1
    expected["deleted, removed, by a bot or near-empty"] = 2  # c3 (AutoModerator) and c4 ([deleted])
    assert dict(report.reasons) == expected
    assert report.skipped == sum(expected.values())
    assert "2 not JSON" in report.summary() and "2 created_utc out of range" in report.summary()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not zstd at all\n" * 20, "is not a readable zstd file"),
        (None, "is truncated"),
    ],
)
def test_an_unreadable_dump_fails_with_one_clear_line(
    settings: Settings,
    shared_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes | None,
    message: str,
) -> None:
    path = tmp_path / "RS_bad.zst"
    if content is None:
        _, lines = dump_lines(shared_dir)
        whole = zstandard.ZstdCompressor().compress(("\n".join(lines) + "\n").encode())
        content = whole[: len(whole) // 2]
    path.write_bytes(content)

    code = cmd_import(settings, argparse.Namespace(file=str(path)))

    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.count("\n") == 1 and message in captured.err and str(path) in captured.err
    assert "Imported" not in captured.out
