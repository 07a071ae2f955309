"""No text crashes or stalls the parser or the dialog: numbers are bounded, time is linear in the message,
``oppscout parse --json`` always prints JSON, and absurd values get a friendly limit."""

from __future__ import annotations

import json
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oppscout.cli import main
from oppscout.core.conversation.chat import ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.core.conversation.parser import parse
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.settings import Settings
from oppscout.runtime import Runtime

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
# The inputs issue 16 found crashing or stalling the parser (OverflowError, Infinity, quadratic time).
HOSTILE = [
    "r/freelance last 1000000 months",
    "r/freelance last 99999999999999999999 hours",
    "last " + "9" * 5000 + " days in r/freelance",
    "budget $" + "9" * 5000,
    "r/freelance " + "1" * 100_000,
    "r/freelance " + "1," * 50_000,
    "r/freelance " + "-" * 100_000,
    "r slash " + "ab " * 30_000,
    "watch r/freelance above " + "9" * 5000,
    "watch r/freelance every " + "9" * 5000 + " days",
    "r/freelance $0." + "0" * 5000 + "1",
    "r/freelance " + "since " * 20_000,
    '"' * 100_000,
]
PIECES = st.sampled_from(
    ["r/", "r/freelance", "our slash", "$", "€", "£", "1,000", ",", ".", "last", "since", "between", "and", "to",
     "threshold", "every", "above", "budget", "keywords:", '"', "re", "about", "mentions", "days", "weeks",
     "March 1", "2026-03-01", "9" * 400, "-" * 300, "watch", "this year", "¢", "\u0000", "🙂", "\n"]
)  # fmt: skip


def _dialog(tmp_path: Path) -> Dialog:
    return Dialog(Settings(_env_file=None, data_dir=tmp_path), now=lambda: NOW)


def _parse_checked(text: str) -> None:
    started = time.perf_counter()
    parsed = parse(text, NOW)
    elapsed = time.perf_counter() - started
    json.dumps(parsed.to_json(), allow_nan=False)
    assert elapsed < 1.0, (text[:40], elapsed)
    if parsed.max_cost is not None:
        assert parsed.max_cost.is_finite() and len(str(parsed.max_cost)) <= 16
    if parsed.window is not None:
        assert parsed.window[0] <= parsed.window[1] <= NOW


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: t[:30])
def test_hostile_inputs_parse_quickly_to_json(text: str, tmp_path: Path) -> None:
    _parse_checked(text)
    reply, _ = _dialog(tmp_path).handle(text, {})
    assert all(len(line) < 2000 for line in reply.messages)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=3000), st.lists(PIECES, max_size=60).map(" ".join)))
def test_generated_hostile_text_never_raises(text: str) -> None:
    _parse_checked(text)
    reply, _ = _dialog(Path(tempfile.gettempdir())).handle(text, {})
    json.dumps([*reply.messages], allow_nan=False)


def test_parse_time_grows_linearly_with_digit_runs() -> None:
    def seconds(n: int) -> float:
        started = time.perf_counter()
        parse("r/freelance last " + "7" * n + " days $" + "8" * n, NOW)
        return time.perf_counter() - started

    assert seconds(200_000) < 0.5


def test_absurd_values_get_a_friendly_limit(tmp_path: Path) -> None:
    dialog = _dialog(tmp_path)
    reply, state = dialog.handle("r/freelance last 1000000 months", {})
    assert "at most 365 days" in reply.messages[0]
    assert state["phase"] == "clarifying"
    reply, _ = dialog.handle("r/freelance budget $" + "9" * 5000, {})
    assert "9999999999999" not in reply.messages[0] and "can't run that yet" in reply.messages[0]


@pytest.mark.parametrize(
    ("text", "dollars"),
    [("$1,000,000", "1000000"), ("$2,500", "2500"), ("€5", "5"), ("£3", "3"), ("$2.50", "2.5"),
     ("five bucks", "5"), ("USD 4", "4"), ("1,250$", "1250"), ("75¢", "0.75")],
)  # fmt: skip
def test_amounts_with_separators_and_currency_symbols(text: str, dollars: str) -> None:
    parsed = parse(f"r/freelance about invoicing, budget {text}", NOW)
    assert parsed.max_cost == Decimal(dollars)
    assert parsed.keywords == ["invoicing"]
    assert bool(parsed.notes) == any(c in text for c in "€£")


def test_parse_json_is_json_for_a_huge_budget(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "r/freelance budget $" + "9" * 5000, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["request"]["maxCost"] == 1e9


DATE_PHRASES = st.sampled_from(
    ["this year", "so far this year", "since the start of the month", "since the beginning of the week",
     "between March 1 and March 15", "from Dec 20 to Jan 5", "from 2026-02-29 to 2026-03-01", "in October",
     "during February", "in 2025", "since February 29", "since 31 November", "from 13/45 to 1/1",
     "between 1 January and today", "since Monday", "last quarter", "year to date", "in December"]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2098, 12, 31), timezones=st.just(UTC)),
    DATE_PHRASES,
)
def test_windows_are_valid_on_any_date(now: datetime, phrase: str) -> None:
    parsed = parse(f"r/freelance {phrase}", now)
    if parsed.window is not None:
        start, end = parsed.window
        assert start <= end <= now, (phrase, now, parsed.window)
        assert start.tzinfo is not None
    json.dumps(parsed.to_json(), allow_nan=False)


async def test_the_chat_answers_hostile_text_without_raising(runtime: Runtime) -> None:
    chat = ChatService(runtime.database, runtime.service, Dialog(runtime.settings))
    for n, text in enumerate(HOSTILE):
        outcome = await chat.handle(ThreadRef("console", "team", "channel", f"t{n}", "ana"), text)
        assert outcome.messages, text[:30]
        assert all(len(message) < 2000 for message in outcome.messages), text[:30]
