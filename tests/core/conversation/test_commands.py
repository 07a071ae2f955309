"""Typed commands through the dialog: form fields are taken as fields, Run and Cancel as what they are."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from oppscout.core.conversation.commands import Cancel, Confirm, EditDraft
from oppscout.core.conversation.dialog import DROPPED, NOTHING_TO_CONFIRM, Dialog, RunAnalysis
from oppscout.core.conversation.state import DialogState, FieldError, FormFields
from oppscout.core.settings import Settings

NOW = datetime(2031, 5, 17, 12, tzinfo=UTC)


def dialog(settings: Settings) -> Dialog:
    return Dialog(settings, now=lambda: NOW)


def confirming(settings: Settings) -> dict[str, object]:
    _, state = dialog(settings).handle("r/SaaS about churn, last 7 days, budget $5", {})
    assert DialogState.of(state).confirming
    return state


def test_form_fields_keep_money_and_durations_inside_keywords(settings: Settings) -> None:
    edit = FormFields(subreddits="r/freelance, SaaS", keywords="$5 tools, late payments in 2 weeks", days="30",
                      budget="$1").command()  # fmt: skip
    assert edit == EditDraft(["freelance", "SaaS"], ["$5 tools", "late payments in 2 weeks"], 30, Decimal("1"))
    reply, state = dialog(settings).apply(edit, confirming(settings))
    assert "about $5 tools, late payments in 2 weeks, last 30 days, budget $1.00" in reply.messages[0]
    typed = DialogState.of(state)
    assert typed.confirming and typed.draft.max_cost == Decimal("1") and typed.draft.days == 30
    assert typed.form() == FormFields(subreddits="r/freelance r/SaaS", keywords="$5 tools, late payments in 2 weeks",
                                      days="30", budget="1")  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"subreddits": ""}, "subreddits"), ({"subreddits": "r/a", "days": "two weeks"}, "days"),
     ({"subreddits": "r/a", "budget": "lots"}, "budget"), ({"subreddits": "r/a", "budget": "-1"}, "budget")],
)  # fmt: skip
def test_an_unreadable_field_is_named(fields: dict[str, str], field: str) -> None:
    with pytest.raises(FieldError) as refused:
        FormFields(**fields).command()
    assert refused.value.field == field


def test_run_and_cancel_are_commands_not_words(settings: Settings) -> None:
    reply, state = dialog(settings).apply(Confirm(), confirming(settings))
    assert isinstance(reply.action, RunAnalysis) and state == {}
    assert reply.action.request.max_cost == Decimal("5")
    assert dialog(settings).apply(Cancel(), confirming(settings))[0].messages == [DROPPED]
    # A Run pressed after the conversation moved on starts nothing and says so.
    stale, _ = dialog(settings).apply(Confirm(), {})
    assert stale.messages == [NOTHING_TO_CONFIRM] and stale.action is None
