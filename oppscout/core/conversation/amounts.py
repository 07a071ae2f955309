"""Amounts in a message: the budget ("$2", "two dollars", "50 cents", "max 5"), a watch's score threshold
("above seventy", "80 or more") and a watch's cadence ("daily", "every 6 hours", "every Monday")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

from oppscout.core.conversation.numbers import NUMBER, to_number

Span = tuple[int, int]
TIME_UNITS = r"(?:hours?|hrs?|days?|weeks?|months?|years?|posts?|comments?|subreddits?|keywords?|%|percent)"

DOLLAR_SIGN_RX = re.compile(r"(?:\$|usd\s?)\s?(?P<v>\d+(?:\.\d+)?)|(?P<w>\d+(?:\.\d+)?)\s?\$", re.IGNORECASE)
DOLLAR_WORDS_RX = re.compile(
    rf"\b(?P<v>{NUMBER}|a|one)\s+(?:dollars?|bucks?|usd)\b(?:\s+(?:and\s+)?(?P<c>{NUMBER})(?:\s+cents?)?\b"
    rf"(?!\s+{TIME_UNITS}))?",
    re.IGNORECASE,
)
CENTS_RX = re.compile(rf"\b(?P<v>{NUMBER})\s*(?:cents?|¢)", re.IGNORECASE)
BARE_BUDGET_RX = re.compile(
    r"\b(?:budget|cap|limit|max(?:imum)?|at most|up to|no more than|spend(?: up to)?)\s*(?:of|is|at|to|:|=)?\s*"
    rf"(?P<v>\d+(?:\.\d+)?)\b(?!\s*{TIME_UNITS}|\.\d)",
    re.IGNORECASE,
)

THRESHOLD_RX = re.compile(
    r"\b(?:above|over|at least|more than|higher than|greater than|exceeds?|exceeding|reaches|hits|beyond|past|"
    r"scores?(?: of)?|score is|scoring|>=?)\s+(?:a\s+)?(?:score\s+of\s+)?"
    rf"(?P<v>{NUMBER})(?:\s*(?:%|percent|points?))?\b(?!\s*{TIME_UNITS})",
    re.IGNORECASE,
)
THRESHOLD_PLUS_RX = re.compile(rf"\b(?P<v>{NUMBER})\s*(?:\+|or (?:more|higher|above|better))", re.IGNORECASE)

CADENCE_WORDS = {"hourly": 1, "daily": 24, "nightly": 24, "weekly": 168, "monthly": 720}
CADENCE_UNITS = {"hour": 1, "day": 24, "morning": 24, "evening": 24, "night": 24, "week": 168, "month": 720}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CADENCE_RX = re.compile(
    r"\b(?:(?P<word>hourly|daily|nightly|weekly|monthly)|(?:every|each)\s+(?:single\s+)?"
    rf"(?:(?P<n>{NUMBER})\s+)?(?P<unit>hours?|days?|mornings?|evenings?|nights?|weeks?|months?|"
    + "|".join(WEEKDAYS)
    + r")|once an?\s+(?P<once>hour|day|week|month)|twice an?\s+(?P<twice>day|week))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Cadence:
    """How often a watch re-runs."""

    hours: int
    label: str
    span: Span = field(default=(0, 0), compare=False)


def find_budget(text: str) -> tuple[Decimal, Span] | None:
    """The budget named in the message (USD) and where it is, or None."""
    if m := DOLLAR_SIGN_RX.search(text):
        return Decimal(m.group("v") or m.group("w")), m.span()
    if m := DOLLAR_WORDS_RX.search(text):
        word = m.group("v").lower()
        value = Decimal(1) if word in ("a", "one") else Decimal(str(to_number(word)))
        if m.group("c"):
            value += Decimal(str(to_number(m.group("c")))) / 100
        return value.normalize() if value == value.to_integral() else value, m.span()
    if m := CENTS_RX.search(text):
        return Decimal(str(to_number(m.group("v")))) / 100, m.span()
    if m := BARE_BUDGET_RX.search(text):
        return Decimal(m.group("v")), m.span()
    return None


def find_threshold(text: str) -> int | None:
    """The score (0-100) a watch should alert above, or None."""
    for rx in (THRESHOLD_RX, THRESHOLD_PLUS_RX):
        for m in rx.finditer(text):
            value = to_number(m.group("v"))
            if 0 <= value <= 100:
                return int(value)
    return None


def find_cadence(text: str) -> Cadence | None:
    """How often a watch should run, or None when the message does not say."""
    m = CADENCE_RX.search(text)
    if not m:
        return None
    return replace(_cadence(m), span=m.span())


def _cadence(m: re.Match[str]) -> Cadence:
    if m.group("word"):
        word = m.group("word").lower()
        return Cadence(CADENCE_WORDS[word], "daily" if word == "nightly" else word)
    if m.group("once"):
        unit = m.group("once").lower()
        return Cadence(CADENCE_UNITS[unit], "hourly" if unit == "hour" else f"{unit}ly".replace("dayly", "daily"))
    if m.group("twice"):
        unit = m.group("twice").lower()
        hours = CADENCE_UNITS[unit] // 2
        return Cadence(hours, f"every {hours} hours")
    unit = m.group("unit").lower()
    if unit in WEEKDAYS:
        return Cadence(168, f"weekly on {unit.capitalize()}")
    unit = unit.rstrip("s")
    count = int(to_number(m.group("n"))) if m.group("n") else 1
    if count == 1:
        labels = {"hour": "hourly", "week": "weekly", "month": "monthly"}
        return Cadence(CADENCE_UNITS[unit], labels.get(unit, "daily"))
    return Cadence(CADENCE_UNITS[unit] * count, f"every {count} {unit}s")
