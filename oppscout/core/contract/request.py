"""AnalysisRequest: what a user asks for, validated with messages a person can act on."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from oppscout.core.contract.base import CamelModel, Money, UtcDateTime, utcnow

SUBREDDIT_PATTERN = re.compile(r"^[A-Za-z0-9_]{2,21}$")
MAX_SUBREDDITS = 10
MAX_KEYWORDS = 10
MAX_KEYWORD_LENGTH = 100
MAX_WINDOW_DAYS = 365
# Clocks of chat platforms and our hosts differ a little; a range ending seconds "in the future" is fine.
CLOCK_SKEW = timedelta(minutes=5)


def normalize_subreddit(raw: str) -> str:
    """Strip an ``r/`` or ``/r/`` prefix and check the name by Reddit's rules (display case kept)."""
    name = raw.strip()
    name = re.sub(r"^/?r/", "", name, flags=re.IGNORECASE)
    if not SUBREDDIT_PATTERN.fullmatch(name):
        raise ValueError(
            f"'{raw}' is not a valid subreddit name: use 2-21 letters, digits or underscores, like r/smallbusiness."
        )
    return name


class TimeRange(CamelModel):
    """The window of post creation times to analyse."""

    start: UtcDateTime
    end: UtcDateTime

    @property
    def days(self) -> float:
        """Length of the window in days."""
        return (self.end - self.start).total_seconds() / 86400

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> TimeRange:
        now = (info.context or {}).get("now") or utcnow()
        if self.start >= self.end:
            raise ValueError("The time range must start before it ends.")
        if self.end > now + CLOCK_SKEW:
            raise ValueError("The time range cannot end in the future: Reddit has no posts from tomorrow yet.")
        if self.end - self.start > timedelta(days=MAX_WINDOW_DAYS):
            raise ValueError(f"The time range can be at most {MAX_WINDOW_DAYS} days; pick a shorter window.")
        return self


class NotificationPreferences(CamelModel):
    """How the requester wants to hear about this analysis."""

    email: bool = False
    push: bool = True
    cost_threshold: Money | None = Field(default=None, ge=0)


class AnalysisRequest(CamelModel):
    """What to analyse: subreddits, a time window, optional keywords and a hard budget.

    Pass ``context={"max_cost_cap": Decimal, "now": datetime}`` to ``model_validate`` to apply
    the configured budget cap and a fixed clock.
    """

    subreddits: list[str]
    time_range: TimeRange
    keywords: list[str] | None = None
    max_cost: Money
    notification_preferences: NotificationPreferences = Field(default_factory=NotificationPreferences)

    @field_validator("subreddits", mode="before")
    @classmethod
    def _subreddits(cls, value: Any) -> list[str]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            raise ValueError("Subreddits must be a list of names like ['smallbusiness', 'freelance'].")
        names: list[str] = []
        seen: set[str] = set()
        for raw in value:
            name = normalize_subreddit(str(raw))
            # Reddit treats names case-insensitively: r/SaaS and r/saas are one subreddit.
            if name.lower() not in seen:
                seen.add(name.lower())
                names.append(name)
        if not names:
            raise ValueError("Name at least one subreddit to look at, like r/smallbusiness.")
        if len(names) > MAX_SUBREDDITS:
            raise ValueError(f"At most {MAX_SUBREDDITS} subreddits per analysis; you named {len(names)}.")
        return names

    @field_validator("keywords", mode="before")
    @classmethod
    def _keywords(cls, value: Any) -> list[str] | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(k, str) for k in value):
            raise ValueError("Keywords must be a list of words or phrases, like ['invoicing', 'late payments'].")
        cleaned = [" ".join(k.split()) for k in value]
        cleaned = [k for k in cleaned if k]
        if len(cleaned) > MAX_KEYWORDS:
            raise ValueError(f"At most {MAX_KEYWORDS} keywords; you gave {len(cleaned)}.")
        for keyword in cleaned:
            if len(keyword) > MAX_KEYWORD_LENGTH:
                raise ValueError(
                    f"Keywords can be at most {MAX_KEYWORD_LENGTH} characters: '{keyword[:30]}…' is longer."
                )
        return cleaned or None

    @field_validator("max_cost")
    @classmethod
    def _max_cost(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        if value < 0:
            raise ValueError("The budget (maxCost) cannot be negative; use 0 for a free, local-only analysis.")
        cap = (info.context or {}).get("max_cost_cap")
        if cap is not None and value > Decimal(str(cap)):
            raise ValueError(f"The budget ${value} is above this workspace's cap of ${cap} per analysis.")
        return value

    @property
    def subreddit_keys(self) -> list[str]:
        """Subreddit identities (lower case), for caching and comparison."""
        return [s.lower() for s in self.subreddits]
