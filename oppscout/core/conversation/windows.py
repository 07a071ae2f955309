"""Time windows as people say them: "last 2 weeks", "past fortnight", "this month", "since Monday", "7d"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from oppscout.core.conversation.dates import DATE, find_range, read_date
from oppscout.core.conversation.numbers import COUNT, NUMBER, to_number

UNIT_DAYS = {
    "hour": 1 / 24, "hr": 1 / 24, "h": 1 / 24, "day": 1, "d": 1, "week": 7, "wk": 7, "w": 7, "fortnight": 14,
    "month": 30, "mo": 30, "quarter": 90, "year": 365, "yr": 365, "y": 365,
}  # fmt: skip
# "This month" is read as the last 30 days, not since the 1st: on the 2nd that would be an empty window.
# "This year" is since 1 January: that is what people mean by it, and in January "so far" is still weeks.
THIS_DAYS = {"week": 7, "month": 30, "quarter": 90}
MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        ]
    )
    for m in names.split()
}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

_month = "|".join(sorted(MONTHS, key=len, reverse=True))
_UNITS = r"(?P<unit>hours?|hrs?|days?|weeks?|wks?|fortnights?|months?|quarters?|years?|yrs?)\b"
RELATIVE_RX = re.compile(
    rf"\b(?:(?:(?:within|over|in|for|during|from)\s+)?(?:the\s+)?(?:last|past|previous)\s+(?:(?P<n>{COUNT})\s+)?|(?:within|over|in|for|during)\s+(?:the\s+)?(?P<m>{COUNT})\s+|(?<![\w$.])(?P<b>{NUMBER})\s+)"
    + _UNITS,
    re.IGNORECASE,
)
SHORT_RX = re.compile(r"(?<![\w$.])(?P<n>\d{1,3})\s?(?P<unit>h|d|w|mo|y)\b", re.IGNORECASE)
AGO_RX = re.compile(rf"\b(?:since\s+)?(?P<n>{COUNT})\s+(?P<unit>hours?|days?|weeks?|months?)\s+ago\b", re.IGNORECASE)
THIS_RX = re.compile(r"\b(?:so far\s+)?this\s+(?P<unit>week|month|quarter|year)(?:\s+so far)?\b", re.IGNORECASE)
YEAR_TO_DATE_RX = re.compile(r"\b(?:year to date|year-to-date|ytd)\b", re.IGNORECASE)
START_OF_RX = re.compile(
    r"\b(?:since|from)\s+the\s+(?:start|beginning)\s+of\s+(?:the\s+|this\s+)?(?P<unit>week|month|quarter|year)\b",
    re.IGNORECASE,
)
DAY_RX = re.compile(r"\b(?P<word>yesterday|today|last night)\b", re.IGNORECASE)
SINCE_RX = re.compile(r"\b(?:since|from|after)\s+(?:last\s+|the\s+)?(?P<what>[^,.;!?]{2,40})", re.IGNORECASE)
MONTH_DAY_RX = re.compile(rf"^(?P<month>{_month})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b", re.IGNORECASE)
DAY_MONTH_RX = re.compile(rf"^(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_month})\b", re.IGNORECASE)
ISO_RX = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")
MONTH_ONLY_RX = re.compile(rf"^(?P<month>{_month})\b", re.IGNORECASE)
DATE_RX = re.compile(DATE, re.IGNORECASE)
WEEKDAY_RX = re.compile(r"^(?P<weekday>" + "|".join(WEEKDAYS) + r")\b", re.IGNORECASE)


@dataclass(frozen=True)
class Window:
    """A time window ending now, and the span of text that asked for it."""

    start: datetime
    end: datetime
    span: tuple[int, int]
    note: str | None = None
    """What the user should be told about how the window was read (a future end moved to now)."""


MAX_LOOKBACK_DAYS = 36_600
"""A longer window is read as this: a date 100 years back is still a date, and the request's own limit
(``MAX_WINDOW_DAYS``) then answers with a friendly message instead of an overflow."""


def _back(now: datetime, days: float) -> datetime:
    return now - timedelta(days=min(days, MAX_LOOKBACK_DAYS))


def _unit_days(unit: str) -> float:
    unit = unit.lower()
    return UNIT_DAYS[unit if unit in UNIT_DAYS else unit.rstrip("s")]


def _midnight(day: datetime) -> datetime:
    return day.replace(hour=0, minute=0, second=0, microsecond=0)


def _date_before(now: datetime, month: int, day: int) -> datetime | None:
    """The last ``month``/``day`` not after ``now`` ("since December 5" in November means last year's)."""
    for year in (now.year, now.year - 1):
        try:
            candidate = now.replace(year=year, month=month, day=day, hour=0, minute=0, second=0, microsecond=0)
        except ValueError:
            return None
        if candidate <= now:
            return candidate
    return None


def _since(what: str, now: datetime) -> datetime | None:
    """The start a "since …" phrase names: a date, a month or a weekday."""
    what = what.strip()
    if m := MONTH_DAY_RX.match(what):
        return _date_before(now, MONTHS[m.group("month").lower()], int(m.group("day")))
    if m := DAY_MONTH_RX.match(what):
        return _date_before(now, MONTHS[m.group("month").lower()], int(m.group("day")))
    if m := ISO_RX.match(what):
        try:
            start = now.replace(year=int(m.group("y")), month=int(m.group("m")), day=int(m.group("d")))
        except ValueError:
            return None
        return _midnight(start) if start <= now else None
    if m := MONTH_ONLY_RX.match(what):
        return _date_before(now, MONTHS[m.group("month").lower()], 1)
    if m := WEEKDAY_RX.match(what):
        back = (now.weekday() - WEEKDAYS.index(m.group("weekday").lower())) % 7 or 7
        return _midnight(now - timedelta(days=back))
    if m := DATE_RX.match(what):
        # The other ways of writing a date ("Sept 3rd, 2026", "11/20") are dateparser's to read.
        day = read_date(m.group(), now)
        return day if day is not None and day <= now else None
    return None


def _start_of(unit: str, now: datetime) -> datetime:
    """Midnight at the start of the current week (Monday), month, quarter or year."""
    day = _midnight(now)
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def find_window(text: str, now: datetime) -> Window | None:
    """The window a message asks for and where it was said; None when it names none.

    Relative windows end ``now``; an absolute range ("between March 1 and March 15") ends where it says,
    or now when it says a later day (with a note).
    """
    if found := find_range(text, now):
        return Window(found.start, found.end, found.span, found.note)
    if m := START_OF_RX.search(text):
        return Window(min(_start_of(m.group("unit").lower(), now), now - timedelta(hours=1)), now, m.span())
    if m := YEAR_TO_DATE_RX.search(text):
        return Window(min(_start_of("year", now), now - timedelta(hours=1)), now, m.span())
    if m := AGO_RX.search(text):
        amount = to_number(m.group("n"))
        return Window(_back(now, amount * _unit_days(m.group("unit"))), now, m.span())
    if m := RELATIVE_RX.search(text):
        count = m.group("n") or m.group("m") or m.group("b")
        amount = to_number(count) if count else 1.0
        return Window(_back(now, amount * _unit_days(m.group("unit"))), now, m.span())
    if m := THIS_RX.search(text):
        unit = m.group("unit").lower()
        if unit == "year":
            # On 1 January "this year" would be empty; give it at least a day.
            return Window(min(_start_of("year", now), now - timedelta(days=1)), now, m.span())
        return Window(now - timedelta(days=THIS_DAYS[unit]), now, m.span())
    for m in SINCE_RX.finditer(text):
        start = _since(m.group("what"), now)
        if start is not None:
            return Window(start, now, m.span())
    if m := DAY_RX.search(text):
        if m.group("word").lower() == "today":
            # Just after midnight "today" would be an empty window; give it at least an hour.
            return Window(min(_midnight(now), now - timedelta(hours=1)), now, m.span())
        return Window(now - timedelta(days=1), now, m.span())
    if m := SHORT_RX.search(text):
        return Window(_back(now, int(m.group("n")) * _unit_days(m.group("unit"))), now, m.span())
    return None
