"""What the parser assumed or could not read reaches the user: notes and questions in the confirmation,
and a range of whole days shown as those days."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from oppscout.core.conversation.dialog import Dialog, RunAnalysis
from oppscout.core.settings import Settings

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def dialog(tmp_path: Path) -> Dialog:
    return Dialog(Settings(_env_file=None, data_dir=tmp_path), now=lambda: NOW)


def test_a_budget_in_euros_is_confirmed_with_a_note(tmp_path: Path) -> None:
    reply, state = dialog(tmp_path).handle("r/freelance about invoicing €0.50", {})
    [line] = reply.messages
    # $0.50 is under the auto-approve amount, but a reading in another currency is confirmed first.
    assert reply.action is None and state["phase"] == "confirming"
    assert "budget $0.5" in line and "Budgets are in US dollars: I read €0.5 as $0.5." in line


def test_a_future_end_is_clamped_and_said(tmp_path: Path) -> None:
    reply, state = dialog(tmp_path).handle("r/freelance from November 1 to December 15", {})
    [line] = reply.messages
    assert "the window ends now, not at December 15" in line
    assert state["phase"] == "confirming"


def test_an_unreadable_threshold_is_asked_back(tmp_path: Path) -> None:
    reply, state = dialog(tmp_path).handle("watch r/SaaS for churn, threshold high", {})
    [line] = reply.messages
    assert "scores 70 or more (the default)" in line  # the default is said, not a guess passed off as read
    assert "I couldn't read the alert threshold" in line
    assert state["draft"]["watch"]["threshold"] is None


def test_a_range_of_days_is_described_as_those_days(tmp_path: Path) -> None:
    reply, _ = dialog(tmp_path).handle("r/freelance between March 1 and March 15, budget 50 cents", {})
    text = " ".join(reply.messages)
    assert "1 Mar 2026 to 15 Mar 2026" in text
    assert isinstance(reply.action, RunAnalysis) or "Run it?" in text
