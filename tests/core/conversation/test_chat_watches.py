"""Watches, spend reports and monthly caps through the chat, as every platform uses it."""

from __future__ import annotations

from decimal import Decimal

from oppscout.core.conversation.chat import ChatOutcome
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.runtime import Runtime, build_chat

THREAD = ThreadRef("slack", "T1", "C1", "1700000000.000100", "U1")


async def say(runtime: Runtime, text: str, thread: ThreadRef = THREAD) -> ChatOutcome:
    # A fresh chat service per message, as separate deliveries: all state lives in the database.
    return await build_chat(runtime, voice=False).handle(thread, text)


async def test_a_watch_is_understood_confirmed_and_set_up(runtime: Runtime) -> None:
    first = await say(runtime, "watch r/SaaS for churn and DM me when an opportunity scores above 70, daily, budget $3")
    [confirmation] = first.messages
    assert confirmation.startswith("I understood a watch: r/SaaS about churn, daily")
    assert "scores above 70" in confirmation and "$3.00 a month" in confirmation
    assert "Set it up? (yes / edit … / cancel)" in confirmation
    assert first.submission is None

    second = await say(runtime, "yes")
    [created] = second.messages
    assert "(watch #1)" in created and "70 or more" in created and "$3.00 a month" in created
    assert second.submission is None  # a watch runs on its schedule, not now

    listing = await say(runtime, "list my watches")
    assert "r/SaaS" in listing.messages[0]
    paused = await say(runtime, "pause watch 1")
    assert "paused" in paused.messages[0].lower()


async def test_a_watch_without_a_budget_uses_the_monthly_default(runtime: Runtime) -> None:
    first = await say(runtime, "alert me daily if r/freelance talks about late payments a lot")
    default = runtime.settings.watch_default_monthly_budget_usd
    assert f"${default:.2f} a month" in first.messages[0]
    assert "last 7 days" not in first.messages[0]  # a watch reads what is new since its last run


async def test_the_spend_intent_reports_this_months_spend(runtime: Runtime) -> None:
    outcome = await say(runtime, "how much have we spent this month?")
    [report] = outcome.messages
    assert report.startswith("Spend for ")
    assert "$0.00 spent" in report


async def test_a_request_past_the_monthly_cap_is_refused_with_what_is_left(runtime: Runtime) -> None:
    runtime.settings.workspace_monthly_cap_usd = Decimal("2")
    await say(runtime, "r/smallbusiness last 7 days budget $3")
    outcome = await say(runtime, "yes")
    assert outcome.submission is None
    assert any("$2.00" in m and "left" in m for m in outcome.messages), outcome.messages
    assert await runtime.queue.depth() == 0
    within = await say(
        runtime, "r/smallbusiness last 7 days budget 50 cents", ThreadRef("slack", "T1", "C1", "t2", "U1")
    )
    assert within.submission is not None
    assert within.submission.queued
