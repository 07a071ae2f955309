"""Absolute dates and ranges in a message: "between March 1 and March 15", "from 2026-03-01 to 2026-03-15",
"in October", "during September 2026", "in 2025".

The parser finds the phrases itself (so it knows their spans, and keywords skip them) and hands only the
date text to ``dateparser``, which reads the many ways a date is written. A date is a whole day: a range
ends at midnight after its last day. An end after now is moved to now, with a note for the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import dateparser

MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december",
)  # fmt: skip
_abbr = "jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
_full = "|".join(MONTH_NAMES)
_any_month = rf"(?:{_full}|{_abbr})\.?"
_day = r"\d{1,2}(?:st|nd|rd|th)?"
_year = r"(?:,?\s+\d{4})?"
DATE = (
    rf"(?:{_any_month}\s+{_day}{_year}|{_day}\s+(?:of\s+)?{_any_month}{_year}|\d{{4}}-\d{{1,2}}-\d{{1,2}}"
    rf"|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?)"
)
"""A regex fragment for one written date (no capture groups)."""
RANGE_RX = re.compile(
    rf"\b(?:between|from)\s+(?:the\s+)?(?P<a>{DATE})\s*(?:and|to|until|till|through|thru|-|–|—)\s*"
    rf"(?:the\s+)?(?P<b>{DATE}|today|now|yesterday)(?![\w/-])",
    re.IGNORECASE,
)
MONTH_RX = re.compile(
    rf"\b(?:in|during|throughout|for the month of|over)\s+(?:the\s+month\s+of\s+)?(?P<month>{_full}|sept)"
    r"(?:\s+(?P<year>\d{4}))?\b",
    re.IGNORECASE,
)
YEAR_RX = re.compile(r"\b(?:in|during|throughout)\s+(?P<year>20\d\d)\b", re.IGNORECASE)
HAS_YEAR_RX = re.compile(r"\d{4}")
_SETTINGS: dict[str, object] = {"PREFER_DATES_FROM": "past", "DATE_ORDER": "MDY", "RETURN_AS_TIMEZONE_AWARE": False}


@dataclass(frozen=True)
class DateRange:
    """A range read from the text, already clamped to end no later than now."""

    start: datetime
    end: datetime
    span: tuple[int, int]
    note: str | None = None


def _midnight(day: datetime) -> datetime:
    return day.replace(hour=0, minute=0, second=0, microsecond=0)


@lru_cache(maxsize=1024)
def _read(text: str, today: datetime) -> datetime | None:
    # dateparser reads relative to a naive base; every time here is UTC.
    found = dateparser.parse(
        text, languages=["en"], settings={**_SETTINGS, "RELATIVE_BASE": today.replace(tzinfo=None)}
    )
    return _midnight(found).replace(tzinfo=UTC) if found else None


def read_date(text: str, now: datetime) -> datetime | None:
    """Midnight (UTC) of the day ``text`` names, the most recent one when no year is given."""
    try:
        return _read(" ".join(text.split()), _midnight(now))
    except (ValueError, OverflowError):
        return None


def _clamped(start: datetime, end: datetime, span: tuple[int, int], said: str, now: datetime) -> DateRange:
    if end <= now:
        return DateRange(start, end, span)
    note = f"(Posts exist only up to now, so the window ends now, not at {said}.)"
    return DateRange(min(start, now), now, span, note if start < now else None)


def find_range(text: str, now: datetime) -> DateRange | None:
    """An absolute range ("between March 1 and March 15", "in October") and where it was said, or None."""
    if m := RANGE_RX.search(text):
        start = read_date(m.group("a"), now)
        second = m.group("b").lower()
        if start is not None and second in ("today", "now"):
            return DateRange(start, now, m.span()) if start < now else None
        if start is not None and second == "yesterday":
            return DateRange(start, _midnight(now), m.span()) if start < _midnight(now) else None
        last = read_date(m.group("b"), now)
        if start is not None and last is not None:
            if not HAS_YEAR_RX.search(m.group("b")):
                # "March 1 to March 15": the end is in the start's year (or the next, for "Dec 20 to Jan 5").
                last = last.replace(year=start.year)
                if last < start:
                    last = last.replace(year=start.year + 1)
            if last >= start:
                return _clamped(start, last + timedelta(days=1), m.span(), m.group("b").strip(), now)
    if m := MONTH_RX.search(text):
        month = 9 if m.group("month").lower() == "sept" else MONTH_NAMES.index(m.group("month").lower()) + 1
        year = int(m.group("year")) if m.group("year") else now.year
        start = datetime(year, month, 1, tzinfo=UTC)
        if start > now and not m.group("year"):
            start = start.replace(year=year - 1)
        end = (start + timedelta(days=32)).replace(day=1)
        if start < now:
            return DateRange(start, min(end, now), m.span())
    if m := YEAR_RX.search(text):
        start = datetime(int(m.group("year")), 1, 1, tzinfo=UTC)
        if start < now:
            return DateRange(start, min(start.replace(year=start.year + 1), now), m.span())
    return None
