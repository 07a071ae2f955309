"""Collected Reddit items: posts and comments as the analysis sees them.

Reddit text is untrusted data. It is stored and quoted, never interpreted as instructions.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class ItemKind(StrEnum):
    """Whether an item is a post or a comment."""

    POST = "post"
    COMMENT = "comment"


class RedditItem(BaseModel):
    """One post or comment collected for an analysis."""

    model_config = ConfigDict(frozen=True)

    kind: ItemKind
    reddit_id: str
    subreddit: str
    author: str
    title: str = ""
    body: str = ""
    score: int = 0
    num_comments: int = 0
    created_at: datetime
    permalink: str
    post_id: str | None = None
    parent_id: str | None = None

    @property
    def text(self) -> str:
        """Title and body together: everything a person wrote in this item."""
        return f"{self.title}\n{self.body}".strip() if self.title else self.body


def post_permalink(subreddit: str, post_id: str) -> str:
    """The public URL of a post."""
    return f"https://www.reddit.com/r/{subreddit}/comments/{post_id}/"


def comment_permalink(subreddit: str, post_id: str, comment_id: str) -> str:
    """The public URL of a comment."""
    return f"https://www.reddit.com/r/{subreddit}/comments/{post_id}/_/{comment_id}/"
