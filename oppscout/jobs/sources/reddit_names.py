"""Checking subreddit names with Reddit: one ``/api/info`` call for all names, details only for the odd ones.

Results are cached with the listing TTL, so a repeat analysis checks nothing again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from oppscout.core.contract.request import SUBREDDIT_PATTERN
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.reddit_cache import RedditCacheRepository, SubredditRecord
from oppscout.core.subreddit_names import SubredditName, SubredditResolution, SubredditState, name_candidate
from oppscout.jobs.sources.rate_limit import CallContext
from oppscout.jobs.sources.reddit_api import RedditApi

# Reddit's /api/info takes at most 100 names per call.
INFO_BATCH = 100


def _state_of(data: dict[str, Any]) -> SubredditState:
    if data.get("quarantine"):
        return SubredditState.QUARANTINED
    if str(data.get("subreddit_type") or "public") in {"private", "employees_only", "gold_only"}:
        return SubredditState.PRIVATE
    return SubredditState.OK


def _state_of_error(status: int, body: dict[str, Any]) -> SubredditState:
    reason = str(body.get("reason") or "").lower()
    if reason == "banned":
        return SubredditState.BANNED
    if reason in {"quarantined", "gold_only"} or "quarantine" in reason:
        return SubredditState.QUARANTINED
    if status == 403 or reason == "private":
        return SubredditState.PRIVATE
    if status == 200:
        return SubredditState.OK
    return SubredditState.NOT_FOUND


class SubredditChecker:
    """Finds out which subreddit names can be read, asking Reddit as little as possible."""

    def __init__(self, api: RedditApi, database: Database, *, ttl: timedelta) -> None:
        self.api = api
        self.database = database
        self.ttl = ttl

    async def check(self, context: CallContext, names: Sequence[str], now: datetime) -> dict[str, SubredditRecord]:
        """What Reddit says about each name, by lower-case name."""
        keys = list(dict.fromkeys(n.lower() for n in names))
        async with self.database.unit_of_work() as session:
            known = await RedditCacheRepository(session).subreddits(keys, now - self.ttl)
        missing = [k for k in keys if k not in known]
        found: dict[str, SubredditRecord] = {}
        for start in range(0, len(missing), INFO_BATCH):
            batch = missing[start : start + INFO_BATCH]
            listing = await self.api.get(context, "api/info/", {"sr_name": ",".join(batch)})
            for child in listing["data"]["children"]:
                data = child["data"]
                name = str(data["display_name"])
                found[name.lower()] = SubredditRecord(name.lower(), name, _state_of(data), now)
        for key in missing:
            if key not in found:
                # Not listed: unknown, banned or hidden. Only the about page tells which.
                status, body = await self.api.about(context, key)
                data = body.get("data") if isinstance(body.get("data"), dict) else None
                state = _state_of(data) if status == 200 and data else _state_of_error(status, body)
                display = str(data.get("display_name", key)) if data else key
                found[key] = SubredditRecord(key, display, state, now)
        if found:
            async with self.database.unit_of_work() as session:
                await RedditCacheRepository(session).save_subreddits(list(found.values()))
        return {**known, **found}

    async def suggest(self, context: CallContext, query: str) -> list[str]:
        """Subreddit names starting like ``query`` (Reddit's name search), safe-for-work only."""
        if len(query) < 2:
            return []
        result = await self.api.post(
            context, "api/search_reddit_names/", {"query": query, "exact": False, "include_over_18": False}
        )
        return [str(n) for n in (result or {}).get("names", [])]

    async def resolve(self, context: CallContext, asked: Sequence[str], now: datetime) -> SubredditResolution:
        """What each phrase stands for; unknown names get suggestions to confirm, never a silent swap."""
        candidates = {phrase: name_candidate(phrase) for phrase in asked}
        valid = [c for c in candidates.values() if SUBREDDIT_PATTERN.fullmatch(c)]
        records = await self.check(context, valid, now) if valid else {}
        names: list[SubredditName] = []
        for phrase, candidate in candidates.items():
            record = records.get(candidate.lower())
            if record is not None and record.state != SubredditState.NOT_FOUND:
                names.append(SubredditName(phrase, SubredditState(record.state), record.display_name))
                continue
            suggestions = await self.suggest(context, candidate[:50])
            names.append(SubredditName(phrase, SubredditState.NOT_FOUND, None, suggestions))
        return SubredditResolution(names)
