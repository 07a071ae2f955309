"""Offline, a watch's subreddits are checked against the source's own names before it is stored."""

from __future__ import annotations

from oppscout.core.conversation.chat import ChatOutcome
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.db.repositories.watches import WatchRepository
from oppscout.runtime import Runtime, build_chat

ANA = ThreadRef("console", "local", "console", "t1", "ana")


async def say(runtime: Runtime, text: str) -> ChatOutcome:
    return await build_chat(runtime, voice=False).handle(ANA, text)


async def watch_count(runtime: Runtime) -> int:
    async with runtime.database.unit_of_work() as session:
        return len(await WatchRepository(session).list_for("console", "local", None))


async def test_an_unknown_subreddit_is_explained_with_suggestions_and_no_watch_is_created(runtime: Runtime) -> None:
    asked = await say(runtime, "watch r/doesnotexist123 daily")
    explained, question = asked.messages
    assert explained.startswith("There is no r/doesnotexist123 in the demo data set. Did you mean r/")
    assert question == "Which subreddits should I watch?"
    await say(runtime, "yes")
    assert await watch_count(runtime) == 0


async def test_a_misspelt_subreddit_is_offered_and_used_only_after_yes(runtime: Runtime) -> None:
    asked = await say(runtime, "watch r/freelanse weekly")
    [line] = asked.messages
    assert "(I took “freelanse” to mean r/freelance.)" in line and "Set it up?" in line
    assert await watch_count(runtime) == 0
    await say(runtime, "yes")
    async with runtime.database.unit_of_work() as session:
        [row] = await WatchRepository(session).list_for("console", "local", None)
    assert row.subreddits == ["freelance"]


async def test_a_known_name_with_an_unknown_one_watches_the_known_one_and_says_why(runtime: Runtime) -> None:
    asked = await say(runtime, "watch r/SaaS and r/doesnotexist123 daily")
    assert asked.messages[0].startswith("There is no r/doesnotexist123 in the demo data set.")
    assert "I understood a watch: r/SaaS, daily" in asked.messages[1]
    await say(runtime, "yes")
    assert await watch_count(runtime) == 1


async def test_a_one_off_analysis_offline_keeps_the_sources_note_instead(runtime: Runtime) -> None:
    # Only watches are refused offline: an analysis of a name the data set lacks still runs and says so.
    outcome = await say(runtime, "r/doesnotexist123 last 7 days")
    assert outcome.submission is not None
