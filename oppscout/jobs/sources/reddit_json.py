"""Reddit's JSON (and praw's objects) turned into ``RedditItem``s, dropping what must not be shown.

Deleted and removed content is never kept: Reddit's users and moderators took it down.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from oppscout.core.corpus import ItemKind, RedditItem, comment_permalink, post_permalink

GONE_TEXT = frozenset({"[deleted]", "[removed]"})
# Accounts that speak for a subreddit's rules, not for its people.
BOT_AUTHORS = frozenset({"automoderator", "[deleted]", "sneakpeekbot", "remindmebot", "totesmessenger"})
MIN_COMMENT_WORDS = 3


def strip_kind(fullname: str) -> str:
    """``t3_abc`` → ``abc`` (ids are stored bare, like the demo data set)."""
    return fullname.split("_", 1)[1] if re.match(r"^t\d_", fullname) else fullname


def _created(value: Any) -> datetime:
    return datetime.fromtimestamp(float(value), UTC)


def is_bot(author: str) -> bool:
    """Whether an author name is a bot or a moderation account."""
    name = author.lower()
    return name in BOT_AUTHORS or name.endswith("bot") or name.endswith("_bot")


def post_is_gone(data: dict[str, Any]) -> bool:
    """Whether a post was deleted by its author or removed by moderators or Reddit."""
    if data.get("removed_by_category") or data.get("banned_by"):
        return True
    if str(data.get("selftext") or "").strip() in GONE_TEXT:
        return True
    return (data.get("author") or "[deleted]") == "[deleted]"


def is_gone(kind: str, data: dict[str, Any]) -> bool:
    """Whether a ``t3`` or ``t1`` object was deleted or removed on Reddit."""
    if kind == "t3":
        return post_is_gone(data)
    body = str(data.get("body") or "").strip()
    return body in GONE_TEXT or (data.get("author") or "[deleted]") == "[deleted]"


def post_from_json(data: dict[str, Any]) -> RedditItem | None:
    """A post from a ``t3`` object's data (API listing or dump line); None when it is gone."""
    if post_is_gone(data):
        return None
    post_id = strip_kind(str(data.get("id") or data.get("name")))
    subreddit = str(data["subreddit"])
    return RedditItem(
        kind=ItemKind.POST,
        reddit_id=post_id,
        subreddit=subreddit,
        author=str(data.get("author")),
        title=str(data.get("title") or ""),
        body=str(data.get("selftext") or ""),
        score=int(data.get("score") or 0),
        num_comments=int(data.get("num_comments") or 0),
        created_at=_created(data["created_utc"]),
        permalink=post_permalink(subreddit, post_id),
    )


def comment_from_fields(
    *,
    comment_id: str,
    body: str,
    author: str | None,
    score: int,
    created_utc: float,
    parent_id: str,
    link_id: str,
    subreddit: str,
    distinguished: str | None = None,
) -> RedditItem | None:
    """A comment, or None when it is deleted, removed, by a bot or moderator, or near-empty."""
    text = body.strip()
    if author is None or author == "[deleted]" or text in GONE_TEXT:
        return None
    if is_bot(author) or distinguished == "moderator":
        return None
    if len(text.split()) < MIN_COMMENT_WORDS:
        return None
    post_id = strip_kind(link_id)
    return RedditItem(
        kind=ItemKind.COMMENT,
        reddit_id=strip_kind(comment_id),
        subreddit=subreddit,
        author=author,
        body=body,
        score=score,
        created_at=_created(created_utc),
        permalink=comment_permalink(subreddit, post_id, strip_kind(comment_id)),
        post_id=post_id,
        parent_id=strip_kind(parent_id),
    )


def comment_from_json(data: dict[str, Any]) -> RedditItem | None:
    """A comment from a ``t1`` object's data (API or dump line)."""
    return comment_from_fields(
        comment_id=str(data["id"]),
        body=str(data.get("body") or ""),
        author=data.get("author"),
        score=int(data.get("score") or 0),
        created_utc=float(data["created_utc"]),
        parent_id=str(data.get("parent_id") or data["link_id"]),
        link_id=str(data["link_id"]),
        subreddit=str(data["subreddit"]),
        distinguished=data.get("distinguished"),
    )


def comment_from_praw(comment: Any) -> RedditItem | None:
    """A comment from a praw ``Comment``, read from its loaded fields only (no lazy API call)."""
    fields = vars(comment)
    author = fields.get("author")
    return comment_from_fields(
        comment_id=str(fields["id"]),
        body=str(fields.get("body") or ""),
        author=None if author is None else str(author),
        score=int(fields.get("score") or 0),
        created_utc=float(fields["created_utc"]),
        parent_id=str(fields.get("parent_id") or fields["link_id"]),
        link_id=str(fields["link_id"]),
        subreddit=str(fields.get("subreddit")),
        distinguished=fields.get("distinguished"),
    )
