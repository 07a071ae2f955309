"""A workspace's vocabulary: the subreddits and topics it asked about before.

They help twice: as Whisper hotwords, so "r slash SaaS for churn" is not heard as "our SaaS fortune",
and as the names a spoken or misspelt subreddit is resolved against.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oppscout.core.db.database import Database
from oppscout.core.db.repositories.vocabulary import recent_requests

RECENT_ANALYSES = 50
# A fresh workspace still gets hotwords: the subreddits people ask about most.
DEFAULT_SUBREDDITS = ("smallbusiness", "Entrepreneur", "startups", "freelance", "SaaS", "marketing")
MIN_HOTWORD_SUBREDDITS = 6
# Product-research words every workspace asks about. Without them in the prompt tiny.en hears "for churn" as
# "for tune" or "fortune" until the workspace has asked about churn once (word error rate on the shared voice
# notes: docs/conversations.md, bench/bench_voice_wer.py).
DOMAIN_TOPICS = (
    "churn", "invoicing", "onboarding", "pricing", "refunds", "payroll", "billing", "hiring", "subscriptions",
    "cash flow",
)  # fmt: skip
MIN_HOTWORD_TOPICS = 8


@dataclass(frozen=True)
class WorkspaceVocabulary:
    """Subreddits and keywords of a workspace's recent analyses, most recent first."""

    subreddits: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)

    def hotwords(self) -> list[str]:
        """Hotwords for the transcriber: ``r/name`` for subreddits, then topics; each padded with common ones
        (subreddits people ask about most, product-research words) so a new workspace is heard well too."""
        return [f"r/{n}" for n in _padded(self.subreddits, DEFAULT_SUBREDDITS, MIN_HOTWORD_SUBREDDITS)] + _padded(
            self.topics, DOMAIN_TOPICS, MIN_HOTWORD_TOPICS
        )


def _padded(own: list[str], common: tuple[str, ...], least: int) -> list[str]:
    """``own`` first (most recent first), then ``common`` ones not already there, until there are ``least``."""
    out = list(own)
    for word in common:
        if len(out) >= least:
            break
        if word.lower() not in {o.lower() for o in out}:
            out.append(word)
    return out


async def load_vocabulary(database: Database, workspace_id: str) -> WorkspaceVocabulary:
    """The vocabulary of one workspace, from its most recent analyses."""
    async with database.unit_of_work() as session:
        requests = await recent_requests(session, workspace_id, limit=RECENT_ANALYSES)
    subreddits: dict[str, str] = {}
    topics: dict[str, str] = {}
    for request in requests:
        for name in request.get("subreddits") or []:
            subreddits.setdefault(str(name).lower(), str(name))
        for keyword in request.get("keywords") or []:
            topics.setdefault(str(keyword).lower(), str(keyword))
    return WorkspaceVocabulary(subreddits=list(subreddits.values()), topics=list(topics.values()))
