"""Deterministic parsing of a chat message into an intent and an analysis request draft."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from oppscout.core.contract.request import SUBREDDIT_PATTERN


class Intent(StrEnum):
    """What the person wants."""

    SCAN = "scan"
    WATCH = "watch"
    STATUS = "status"
    CANCEL = "cancel"
    SPEND = "spend"
    HELP = "help"


NUMBER_WORDS = {
    "zero": 0, "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}  # fmt: skip
UNIT_DAYS = {"hour": 1 / 24, "day": 1, "week": 7, "fortnight": 14, "month": 30, "quarter": 90, "year": 365}
NUM = r"(\d+(?:\.\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"

SUBREDDIT_RX = re.compile(r"(?:^|[\s,(+])/?r/([A-Za-z0-9_]{2,21})\b", re.IGNORECASE)
WINDOW_RX = re.compile(
    rf"\b(?:last|past|previous|over the last|in the last|within the last)\s+(?:{NUM}\s+)?"
    r"(hours?|days?|weeks?|fortnight|months?|quarter|years?)\b",
    re.IGNORECASE,
)
SINCE_DAYS_RX = re.compile(r"\b(yesterday|today|this (week|month|year))\b", re.IGNORECASE)
DOLLAR_RX = re.compile(r"\$\s?(\d+(?:\.\d+)?)")
DOLLAR_WORDS_RX = re.compile(rf"\b{NUM}\s+(dollars?|bucks|cents?)\b", re.IGNORECASE)
THRESHOLD_RX = re.compile(rf"\b(?:above|over|at least|>=?|more than|scores? of)\s+{NUM}\b", re.IGNORECASE)
KEYWORDS_LIST_RX = re.compile(r"\bkeywords?\s*:\s*([^.;\n]+?)(?:[.;]|$)", re.IGNORECASE)
QUOTED_RX = re.compile(r"[\"“]([^\"”]{2,100})[\"”]")
ABOUT_RX = re.compile(
    r"\b(?:about|regarding|around|mentioning|on the topic of|complaints about|for complaints about|for)\s+"
    r"([a-z0-9][a-z0-9 '&-]{1,60}?)(?=\s+(?:in|on|over|from|during|since|for the|last|past|this|with|and dm|and alert|budget|max|cap|under)\b|[,.?!;]|$)",
    re.IGNORECASE,
)

INTENT_PATTERNS: list[tuple[Intent, re.Pattern[str]]] = [
    (Intent.HELP, re.compile(r"^\s*(help|\?|what can you do\??|how does this work\??|commands)\s*[.!?]*\s*$", re.I)),
    (
        Intent.CANCEL,
        re.compile(r"^\s*(cancel|stop|abort|kill)\b|\b(cancel|stop|abort) (that|it|the (scan|analysis|run))\b", re.I),
    ),
    (Intent.SPEND, re.compile(r"\b(spen[dt]|spending|cost so far|bill|budget left|how much (have|did) we)\b", re.I)),
    (
        Intent.STATUS,
        re.compile(
            r"^\s*(status|progress)\s*[?.!]*\s*$|\b(how is|how's|where is|status of) (my|the|our) (last )?(analysis|scan|run|job)",
            re.I,
        ),
    ),
    (Intent.WATCH, re.compile(r"\b(watch|monitor|keep an eye on|alert me|notify me|dm me|ping me)\b", re.I)),
]
NOT_KEYWORDS = {"me", "you", "us", "opportunities", "opportunity", "pain points", "complaints", "problems", "ideas"}


@dataclass
class ParsedMessage:
    """What one message says: intent, request fields found, and what is still missing."""

    intent: Intent
    subreddits: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    window: tuple[datetime, datetime] | None = None
    max_cost: Decimal | None = None
    threshold: int | None = None

    @property
    def missing(self) -> list[str]:
        """Fields a scan or watch needs that the message did not give."""
        if self.intent in (Intent.SCAN, Intent.WATCH) and not self.subreddits:
            return ["subreddits"]
        return []


def _number(token: str) -> float:
    token = token.lower()
    return float(NUMBER_WORDS[token]) if token in NUMBER_WORDS else float(token)


def _window(text: str, now: datetime) -> tuple[datetime, datetime] | None:
    match = WINDOW_RX.search(text)
    if match:
        amount = _number(match.group(1)) if match.group(1) else 1.0
        unit = match.group(2).lower().rstrip("s")
        return now - timedelta(days=amount * UNIT_DAYS[unit]), now
    match = SINCE_DAYS_RX.search(text)
    if match:
        word = match.group(1).lower()
        if word == "yesterday":
            return now - timedelta(days=1), now
        if word == "today":
            return now.replace(hour=0, minute=0, second=0, microsecond=0), now
        days = {"this week": 7, "this month": 30, "this year": 365}[word]
        return now - timedelta(days=days), now
    return None


def _budget(text: str) -> Decimal | None:
    match = DOLLAR_RX.search(text)
    if match:
        return Decimal(match.group(1))
    match = DOLLAR_WORDS_RX.search(text)
    if match:
        value = Decimal(str(_number(match.group(1))))
        return value / 100 if match.group(2).lower().startswith("cent") else value
    return None


def _keywords(text: str) -> list[str]:
    found: list[str] = []
    listed = KEYWORDS_LIST_RX.search(text)
    if listed:
        found += [k.strip() for k in re.split(r",|\band\b", listed.group(1)) if k.strip()]
    found += [q.strip() for q in QUOTED_RX.findall(text)]
    if not found:
        for match in ABOUT_RX.finditer(SUBREDDIT_RX.sub(" ", text)):
            phrase = match.group(1).strip(" '-")
            if phrase.lower() not in NOT_KEYWORDS and not re.match(r"^(the|a|an)\b", phrase, re.I):
                found.append(phrase)
    unique: list[str] = []
    for k in found:
        if k.lower() not in {u.lower() for u in unique}:
            unique.append(k)
    return unique


def parse(text: str, now: datetime) -> ParsedMessage:
    """Parse one message. Unknown or partial input yields a draft with ``missing`` filled in."""
    intent = Intent.SCAN
    for candidate, pattern in INTENT_PATTERNS:
        if pattern.search(text):
            intent = candidate
            break
    subreddits = [m for m in SUBREDDIT_RX.findall(" " + text) if SUBREDDIT_PATTERN.fullmatch(m)]
    threshold_match = THRESHOLD_RX.search(text) if intent == Intent.WATCH else None
    return ParsedMessage(
        intent=intent,
        subreddits=list(dict.fromkeys(subreddits)),
        keywords=_keywords(text) if intent in (Intent.SCAN, Intent.WATCH) else [],
        window=_window(text, now),
        max_cost=_budget(text),
        threshold=int(_number(threshold_match.group(1))) if threshold_match else None,
    )
