"""Amounts in a message: the budget ("$2", "$1,000", "€5", "two dollars", "50 cents", "max 5"), a watch's
score threshold ("above seventy", "threshold 80", "85 and up") and a watch's cadence ("daily", "every 6
hours", "every Monday", "every other day").

Numbers are bounded (``numbers.MAX_NUMBER``), so no message can overflow a date or print ``Infinity``; a
value the parser sees but cannot use ("threshold high", "budget cheap", "threshold 250") is reported as
unclear so the dialog asks, rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

from oppscout.core.conversation.numbers import DIGITS, NUMBER, to_number

Span = tuple[int, int]
TIME_UNITS = r"(?:hours?|hrs?|days?|weeks?|months?|years?|posts?|comments?|subreddits?|keywords?|%|percent)"
# Budgets are in US dollars; other currencies are read at face value and the user is told so.
OTHER_CURRENCIES = {"€": "€", "eur": "€", "euro": "€", "euros": "€", "£": "£", "gbp": "£", "pounds": "£", "quid": "£"}
MAX_BUDGET = Decimal(10) ** 9
"""Larger budgets are read as this; the service's cap turns any of them into a friendly limit."""

DOLLAR_SIGN_RX = re.compile(
    rf"(?P<cur>\$|€|£|\busd\b|\beur\b|\bgbp\b)\s?(?P<v>{DIGITS})|(?<![\d.,])(?P<w>{DIGITS})\s?(?P<cur2>\$|€|£)",
    re.IGNORECASE,
)
DOLLAR_WORDS_RX = re.compile(
    rf"\b(?P<v>{NUMBER}|a|one)\s+(?P<cur>dollars?|bucks?|usd|euros?|eur|pounds|quid|gbp)\b"
    rf"(?:\s+(?:and\s+)?(?P<c>{NUMBER})(?:\s+cents?)?\b(?!\s+{TIME_UNITS}))?",
    re.IGNORECASE,
)
CENTS_RX = re.compile(rf"\b(?P<v>{NUMBER})\s*(?:cents?|¢)", re.IGNORECASE)
BARE_BUDGET_RX = re.compile(
    r"\b(?:budget|cap|limit|max(?:imum)?|at most|up to|no more than|spend(?: up to)?)\s*(?:of|is|at|to|:|=)?\s*"
    rf"(?P<v>{DIGITS})\b(?!\s*{TIME_UNITS}|\.\d)",
    re.IGNORECASE,
)
VAGUE_BUDGET_RX = re.compile(
    r"\b(?:budget|cap|spend)\s*(?:of|is|:|=)?\s*(?:something\s+|pretty\s+|very\s+)?"
    r"(?P<word>cheap|low|small|tiny|minimal|high|big|large|whatever|reasonable|moderate|modest|unlimited)\b",
    re.IGNORECASE,
)

THRESHOLD_RX = re.compile(
    r"\b(?:above|over|at least|more than|higher than|greater than|exceeds?|exceeding|reaches|hits|beyond|past|"
    r"threshold(?:\s+(?:of|is|at|to))?|min(?:imum)?\s+score(?:\s+of)?|scores?(?: of)?|score is|scoring|>=?)"
    r"\s*[:=]?\s+(?:a\s+)?(?:score\s+of\s+)?"
    rf"(?P<v>{NUMBER})(?:\s*(?:%|percent|points?))?\b(?!\s*{TIME_UNITS})",
    re.IGNORECASE,
)
THRESHOLD_PLUS_RX = re.compile(
    rf"\b(?P<v>{NUMBER})\s*(?:\+|or (?:more|higher|above|better)|and (?:up|above|higher|over))", re.IGNORECASE
)
# Saying "threshold" or "score" asks for one: when no usable number goes with it, the dialog asks.
THRESHOLD_WORD_RX = re.compile(r"\b(?:threshold|min(?:imum)? score|scores? (?:high|low|well|big))\b", re.IGNORECASE)

CADENCE_WORDS = {"hourly": 1, "daily": 24, "nightly": 24, "weekly": 168, "monthly": 720}
CADENCE_UNITS = {"hour": 1, "day": 24, "morning": 24, "evening": 24, "night": 24, "week": 168, "month": 720}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_CADENCE_HOURS = 24 * 366
CADENCE_RX = re.compile(
    r"\b(?:(?P<word>hourly|daily|nightly|weekly|monthly)|(?:every|each)\s+(?:single\s+)?"
    rf"(?:(?P<other>other)\s+|(?P<n>{NUMBER})\s+)?(?P<unit>hours?|days?|mornings?|evenings?|nights?|weeks?|months?|"
    + "|".join(f"{d}s?" for d in WEEKDAYS)
    + r")|once an?\s+(?P<once>hour|day|week|month)|twice an?\s+(?P<twice>day|week))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Budget:
    """A budget in US dollars, where it was said, and a note when it was read in another currency."""

    value: Decimal
    span: Span
    note: str | None = None


@dataclass(frozen=True)
class Cadence:
    """How often a watch re-runs."""

    hours: int
    label: str
    span: Span = field(default=(0, 0), compare=False)


def _money(raw: str) -> Decimal:
    """A bounded, cent-rounded Decimal of a digits-or-words amount."""
    value = min(Decimal(str(to_number(raw))), MAX_BUDGET)
    value = value.quantize(Decimal("0.0001"))
    # normalize() alone would write 1000 as 1E+3 in the chat's echo.
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


def _currency_note(symbol: str | None, value: Decimal) -> str | None:
    other = OTHER_CURRENCIES.get((symbol or "").lower())
    if other is None:
        return None
    return f"Budgets are in US dollars: I read {other}{value} as ${value}."


def find_budget(text: str) -> Budget | None:
    """The budget named in the message (USD) and where it is, or None."""
    if m := DOLLAR_SIGN_RX.search(text):
        value = _money(m.group("v") or m.group("w"))
        return Budget(value, m.span(), _currency_note(m.group("cur") or m.group("cur2"), value))
    if m := DOLLAR_WORDS_RX.search(text):
        word = m.group("v").lower()
        value = Decimal(1) if word in ("a", "one") else _money(word)
        if m.group("c"):
            value = min(value + _money(m.group("c")) / 100, MAX_BUDGET).normalize()
        return Budget(value, m.span(), _currency_note(m.group("cur"), value))
    if m := CENTS_RX.search(text):
        return Budget(_money(m.group("v")) / 100, m.span())
    if m := BARE_BUDGET_RX.search(text):
        return Budget(_money(m.group("v")), m.span())
    return None


def budget_unclear(text: str) -> Span | None:
    """Where the message asks for a budget in words no amount can be read from ("budget cheap"), or None."""
    m = VAGUE_BUDGET_RX.search(text)
    return m.span() if m else None


def find_threshold(text: str) -> int | None:
    """The score (0-100) a watch should alert above, or None."""
    for rx in (THRESHOLD_RX, THRESHOLD_PLUS_RX):
        for m in rx.finditer(text):
            value = to_number(m.group("v"))
            if 0 <= value <= 100:
                return int(value)
    return None


def threshold_unclear(text: str) -> bool:
    """Whether the message asks for a threshold but gives none the parser can use (no number, or > 100)."""
    return THRESHOLD_WORD_RX.search(text) is not None and find_threshold(text) is None


def find_cadence(text: str) -> Cadence | None:
    """How often a watch should run, or None when the message does not say (or says more than a year)."""
    m = CADENCE_RX.search(text)
    if not m:
        return None
    cadence = _cadence(m)
    return replace(cadence, span=m.span()) if 1 <= cadence.hours <= MAX_CADENCE_HOURS else None


def cadence_unclear(text: str) -> bool:
    """Whether the message names a cadence too long to use ("every 5000 days")."""
    return CADENCE_RX.search(text) is not None and find_cadence(text) is None


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
    if unit.rstrip("s") in WEEKDAYS:
        return Cadence(168, f"weekly on {unit.rstrip('s').capitalize()}")
    unit = unit.rstrip("s")
    count = 2 if m.group("other") else int(min(to_number(m.group("n")), 10**6)) if m.group("n") else 1
    if count == 1:
        labels = {"hour": "hourly", "week": "weekly", "month": "monthly"}
        return Cadence(CADENCE_UNITS[unit], labels.get(unit, "daily"))
    return Cadence(CADENCE_UNITS[unit] * count, f"every {count} {unit}s")
