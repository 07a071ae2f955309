"""Properties of the parser over arbitrary text: it never raises and never returns something invalid."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from oppscout.core.contract.request import SUBREDDIT_PATTERN
from oppscout.core.conversation.parser import parse

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
WORDS = st.sampled_from(
    [
        "r/",
        "r",
        "slash",
        "our",
        "are",
        "and",
        "for",
        "about",
        "last",
        "past",
        "this",
        "since",
        "budget",
        "$",
        "dollars",
        "cents",
        "max",
        "watch",
        "above",
        "every",
        "2",
        "two",
        "seventy",
        "small",
        "business",
        "free",
        "lands",
        "keywords:",
        '"',
        ",",
        ".",
        "?",
        "yesterday",
        "Monday",
        "November",
        "1",
        "weeks",
        "days",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=120), st.lists(WORDS, max_size=25).map(" ".join)))
def test_any_message_parses_to_a_valid_draft(text: str) -> None:
    parsed = parse(text, NOW)
    assert all(SUBREDDIT_PATTERN.fullmatch(name) for name in parsed.subreddits)
    assert len({n.lower() for n in parsed.subreddits}) == len(parsed.subreddits)
    if parsed.window is not None:
        start, end = parsed.window
        assert start <= end <= NOW
    assert parsed.max_cost is None or parsed.max_cost >= 0
    assert parsed.threshold is None or 0 <= parsed.threshold <= 100
    assert all(k.strip() for k in parsed.keywords)
