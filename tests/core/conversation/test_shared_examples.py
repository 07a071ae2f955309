"""Every example request in ../shared/examples/requests.jsonl parses as its ``expect`` says."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from oppscout.core.conversation.parser import Intent, parse

EXAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "examples" / "requests.jsonl"


def _examples() -> list[dict[str, Any]]:
    if not EXAMPLES.is_file():
        return []
    return [json.loads(line) for line in EXAMPLES.read_text().splitlines() if line.strip()]


def check(text: str, now: datetime, expect: dict[str, Any]) -> None:
    """Assert the parse of ``text`` matches an ``expect`` object in the shared examples' format."""
    parsed = parse(text, now)
    assert parsed.intent == Intent(expect["intent"]), text
    if parsed.intent not in (Intent.SCAN, Intent.WATCH):
        return
    assert sorted(s.lower() for s in parsed.subreddits) == sorted(expect.get("subreddits", [])), text
    # No keywords expected means none: a stray word would narrow the analysis behind the user's back.
    assert [k.lower() for k in parsed.keywords] == [k.lower() for k in expect.get("keywords", [])], text
    if "days" in expect:
        assert parsed.window is not None, text
        days = (parsed.window[1] - parsed.window[0]).total_seconds() / 86400
        assert abs(days - expect["days"]) <= 1, (text, days)
        assert parsed.window[1] == now
    else:
        assert parsed.window is None, text
    expected_cost = expect.get("maxCost")
    assert (float(parsed.max_cost) if parsed.max_cost is not None else None) == expected_cost, text
    assert parsed.threshold == expect.get("threshold"), text
    assert parsed.missing == expect.get("missing", []), text


@pytest.mark.parametrize("example", _examples(), ids=lambda e: str(e["text"])[:50])
def test_shared_example(example: dict[str, Any]) -> None:
    check(example["text"], datetime.fromisoformat(example["now"].replace("Z", "+00:00")), example["expect"])


def test_shared_examples_are_all_there(shared_dir: Path) -> None:
    # Guards against the parametrised test silently collecting nothing.
    lines = (shared_dir / "examples" / "requests.jsonl").read_text().splitlines()
    assert len(_examples()) == len([line for line in lines if line.strip()]) >= 20
