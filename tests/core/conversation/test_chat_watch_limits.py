"""Values past a watch's limits are never replaced silently: the bot names the limit, offers it, and asks."""

from __future__ import annotations

from oppscout.core.conversation.chat import ChatOutcome
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.db.repositories.watches import WatchRepository
from oppscout.core.db.tables import WatchRow
from oppscout.runtime import Runtime, build_chat

ANA = ThreadRef("console", "local", "console", "t1", "ana")


async def say(runtime: Runtime, text: str) -> ChatOutcome:
    return await build_chat(runtime, voice=False).handle(ANA, text)


async def only_watch(runtime: Runtime) -> WatchRow:
    async with runtime.database.unit_of_work() as session:
        rows = await WatchRepository(session).list_for("console", "local", None)
    [row] = rows
    return row


async def test_a_score_above_100_is_named_and_asked_and_yes_means_100(runtime: Runtime) -> None:
    asked = await say(runtime, "alert me above 500 on r/SaaS")
    [line] = asked.messages
    assert "Scores go from 0 to 100, so I can't alert above 500 — alert at 100?" in line
    assert "Set it up?" in line
    assert "scores above 70" not in line and "the default" not in line  # 500 is not replaced by the default
    await say(runtime, "yes")
    assert (await only_watch(runtime)).threshold == 100


async def test_after_the_question_another_score_is_taken(runtime: Runtime) -> None:
    await say(runtime, "watch r/SaaS daily, threshold 250")
    answer = await say(runtime, "above 80")
    [line] = answer.messages
    assert "alert when an opportunity scores above 80" in line and "Scores go from 0 to 100" not in line
    assert "r/SaaS" in line and "daily" in line
    await say(runtime, "yes")
    row = await only_watch(runtime)
    assert (row.threshold, row.cadence_hours) == (80, 24)


async def test_a_cadence_below_hourly_says_hourly_is_the_shortest(runtime: Runtime) -> None:
    asked = await say(runtime, "watch r/SaaS every 1 second")
    [line] = asked.messages
    assert "Hourly is the shortest a watch runs, so not “every 1 second” — run it hourly?" in line
    assert ", hourly, " in line and "daily" not in line
    assert "about second" not in line  # the unit is not a keyword
    await say(runtime, "yes")
    assert (await only_watch(runtime)).cadence_hours == 1


async def test_a_cadence_answer_replaces_the_offered_one(runtime: Runtime) -> None:
    await say(runtime, "watch r/freelance for invoicing every 30 minutes")
    answer = await say(runtime, "every 6 hours")
    assert "every 6 hours" in answer.messages[0] and "Hourly is the shortest" not in answer.messages[0]
    await say(runtime, "yes")
    row = await only_watch(runtime)
    assert (row.cadence_hours, row.keywords) == (6, ["invoicing"])


async def test_a_cadence_past_a_month_says_monthly_is_the_longest(runtime: Runtime) -> None:
    asked = await say(runtime, "watch r/SaaS every 2 months")
    assert (
        "Monthly is the longest a watch waits between runs, so not “every 2 months” — run it monthly?"
        in (asked.messages[0])
    )
    done = await say(runtime, "yes")
    assert "(watch #1)" in done.messages[0]  # stored, not refused after the yes
    assert (await only_watch(runtime)).cadence_hours == 720
