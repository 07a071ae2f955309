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


@dataclass(frozen=True)
class WorkspaceVocabulary:
    """Subreddits and keywords of a workspace's recent analyses, most recent first."""

    subreddits: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)

    def hotwords(self) -> list[str]:
        """Hotwords for the transcriber: ``r/name`` for subreddits (padded with common ones), then topics."""
        names = list(self.subreddits)
        for name in DEFAULT_SUBREDDITS:
            if len(names) >= MIN_HOTWORD_SUBREDDITS:
                break
            if name.lower() not in {n.lower() for n in names}:
                names.append(name)
        return [f"r/{n}" for n in names] + list(self.topics)


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
