"""The process clock: the one source of "now" for every timestamp the product writes or compares.

Rows (created, started, settled, sent), monthly caps, watch schedules, retention cut-offs and
request windows all read the time through :func:`utcnow`, so a test, a benchmark or a replay can
move time for all of them at once with :func:`use_clock` and they never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""Anything that answers the current time as a timezone-aware UTC datetime."""


def system_clock() -> datetime:
    """The machine's wall clock, in UTC."""
    return datetime.now(UTC)


_current: Clock = system_clock


def utcnow() -> datetime:
    """The current time in UTC, from the clock in use (the system clock unless one is installed)."""
    return _current()


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Make ``clock`` the process clock until the block ends (then the previous one is back)."""
    global _current
    previous = _current
    _current = clock
    try:
        yield clock
    finally:
        _current = previous
