"""Subreddit names as Reddit knows them: which can be read, which are not, and what was probably meant.

A source that talks to Reddit resolves names (``SubredditResolver``); the dialog shows
``SubredditResolution.message`` and asks the user to confirm any name that was changed. A name is
never replaced silently.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class SubredditState(StrEnum):
    """Whether a subreddit can be analysed, and if not, why."""

    OK = "ok"
    PRIVATE = "private"
    QUARANTINED = "quarantined"
    BANNED = "banned"
    NOT_FOUND = "not_found"


def name_candidate(asked: str) -> str:
    """The subreddit name a phrase most likely stands for: "small business" → "smallbusiness".

    Voice transcription and quick typing split or hyphenate names; Reddit names have no spaces.
    """
    name = re.sub(r"^\s*/?r/", "", asked.strip(), flags=re.IGNORECASE)
    return re.sub(r"[\s\-.]+", "", name)


@dataclass(frozen=True)
class SubredditName:
    """One name as the user said it and what Reddit made of it."""

    asked: str
    state: SubredditState
    resolved: str | None = None
    suggestions: list[str] = field(default_factory=list)
    where: str = "on Reddit"
    """Where the name was looked up, as the message says it ("on Reddit", "in the demo data set")."""

    @property
    def needs_confirmation(self) -> bool:
        """Whether the readable name differs from what was asked (beyond letter case)."""
        if self.state is not SubredditState.OK or self.resolved is None:
            return False
        return self.resolved.lower() != re.sub(r"^\s*/?r/", "", self.asked.strip(), flags=re.IGNORECASE).lower()

    @property
    def message(self) -> str:
        """What to tell the user about this name, and what to do; empty when all is well."""
        shown = f"r/{self.resolved or name_candidate(self.asked)}"
        if self.state is SubredditState.OK:
            return f"By '{self.asked}' did you mean {shown}?" if self.needs_confirmation else ""
        if self.state is SubredditState.PRIVATE:
            return f"{shown} is private: only its members can read it, so it cannot be analysed. Pick a public one."
        if self.state is SubredditState.QUARANTINED:
            return f"{shown} is quarantined: Reddit keeps it out of reach of apps like this one. Pick another."
        if self.state is SubredditState.BANNED:
            return f"{shown} was banned by Reddit and has nothing left to read. Remove it from the request."
        if self.suggestions:
            options = " or ".join(f"r/{s}" for s in self.suggestions[:3])
            return f"There is no {shown} {self.where}. Did you mean {options}?"
        return f"There is no {shown} {self.where}. Check the spelling, or name a similar subreddit."


@dataclass(frozen=True)
class SubredditResolution:
    """What Reddit made of every name in a request."""

    names: list[SubredditName]

    @property
    def readable(self) -> list[str]:
        """Names that can be analysed as asked."""
        return [
            n.resolved for n in self.names if n.resolved and n.state is SubredditState.OK and not n.needs_confirmation
        ]

    @property
    def to_confirm(self) -> list[SubredditName]:
        """Names that were resolved to a different subreddit: ask the user before using them."""
        return [n for n in self.names if n.needs_confirmation]

    @property
    def problems(self) -> list[SubredditName]:
        """Names that cannot be analysed (private, quarantined, banned, unknown)."""
        return [n for n in self.names if n.state is not SubredditState.OK]

    @property
    def message(self) -> str:
        """Everything the user should hear about the names, one line each; empty when all is well."""
        return "\n".join(n.message for n in self.names if n.message)


class SubredditResolver(Protocol):
    """Resolves subreddit names with Reddit (the Reddit source implements it)."""

    async def resolve_subreddits(self, names: Sequence[str]) -> SubredditResolution:
        """What Reddit makes of each name, with suggestions for unknown or misspelt ones."""
        ...


def resolve_known(names: Sequence[str], known: Sequence[str], *, where: str) -> SubredditResolution:
    """Names checked against a source's own list (an offline data set): found as the list spells them, or
    not found with the closest names of the list as suggestions (all of them, up to three, when none is close)."""
    by_key = {k.lower(): k for k in known}
    found: list[SubredditName] = []
    for asked in names:
        key = name_candidate(asked).lower()
        if key in by_key:
            found.append(SubredditName(asked, SubredditState.OK, by_key[key]))
            continue
        close = difflib.get_close_matches(key, list(by_key), n=3, cutoff=0.75)
        suggestions = [by_key[c] for c in close] or list(known)[:3]
        found.append(SubredditName(asked, SubredditState.NOT_FOUND, suggestions=suggestions, where=where))
    return SubredditResolution(found)
