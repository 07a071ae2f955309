"""Builders for analysis tests: items and requests without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oppscout.core.contract import AnalysisRequest
from oppscout.core.corpus import ItemKind, RedditItem, comment_permalink, post_permalink

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


def post(
    pid: str,
    title: str,
    body: str = "",
    *,
    author: str = "",
    sub: str = "smallbusiness",
    score: int = 10,
    hours: float = 5,
) -> RedditItem:
    """A post ``hours`` before NOW."""
    return RedditItem(
        kind=ItemKind.POST,
        reddit_id=pid,
        subreddit=sub,
        author=author or f"author_{pid}",
        title=title,
        body=body,
        score=score,
        num_comments=3,
        created_at=NOW - timedelta(hours=hours),
        permalink=post_permalink(sub, pid),
    )


def comment(cid: str, pid: str, body: str, *, author: str = "", sub: str = "smallbusiness") -> RedditItem:
    """A comment on post ``pid``."""
    return RedditItem(
        kind=ItemKind.COMMENT,
        reddit_id=cid,
        subreddit=sub,
        author=author or f"author_{cid}",
        body=body,
        score=2,
        created_at=NOW - timedelta(hours=1),
        permalink=comment_permalink(sub, pid, cid),
        post_id=pid,
        parent_id=pid,
    )


def request(subs: list[str], days: int = 30, max_cost: str = "2") -> AnalysisRequest:
    """A request over the last ``days`` before NOW."""
    return AnalysisRequest.model_validate(
        {
            "subreddits": subs,
            "timeRange": {"start": (NOW - timedelta(days=days)).isoformat(), "end": NOW.isoformat()},
            "maxCost": max_cost,
        },
        context={"now": NOW},
    )
