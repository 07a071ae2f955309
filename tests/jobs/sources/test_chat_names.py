"""Names in a chat request are checked with Reddit before anything runs: fixed only with the user's yes."""

from __future__ import annotations

from oppscout.core.conversation.chat import ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.db.repositories.watches import WatchRepository
from oppscout.core.db.tables import WatchRow
from oppscout.core.watches.service import WatchService
from oppscout.jobs.sources.reddit import RedditSource
from oppscout.runtime import Runtime
from tests.fakes.reddit_server import FakeRedditServer


def chat(runtime: Runtime, source: RedditSource) -> ChatService:
    return ChatService(runtime.database, runtime.service, Dialog(runtime.settings), resolver=source)


async def test_a_misspelt_subreddit_is_suggested_and_confirmed_never_replaced_silently(
    runtime: Runtime, source: RedditSource
) -> None:
    thread = ThreadRef("slack", "T1", "C1", "names-1", "U1")
    first = await chat(runtime, source).handle(thread, "r/smallbusines about invoicing, last 7 days")
    [confirmation] = first.messages
    assert "r/smallbusiness" in confirmation
    assert "(I took “smallbusines” to mean r/smallbusiness.)" in confirmation
    assert "Run it?" in confirmation
    assert first.submission is None
    second = await chat(runtime, source).handle(thread, "yes")
    assert second.submission is not None
    response = await runtime.service.get(second.submission.analysis_id)
    assert response.metadata.subreddits == ["smallbusiness"]


async def test_private_and_banned_subreddits_are_explained_and_left_out(
    runtime: Runtime, source: RedditSource, small_fake: FakeRedditServer
) -> None:
    small_fake.fake.add_subreddit("secretclub", "private")
    thread = ThreadRef("slack", "T1", "C1", "names-2", "U1")
    outcome = await chat(runtime, source).handle(thread, "r/secretclub and r/freelance last 7 days")
    assert outcome.messages[0].startswith("r/secretclub is private")
    assert outcome.submission is not None  # r/freelance alone is fine and within auto-approve
    response = await runtime.service.get(outcome.submission.analysis_id)
    assert response.metadata.subreddits == ["freelance"]
    only_private = await chat(runtime, source).handle(
        ThreadRef("slack", "T1", "C1", "names-3", "U1"), "r/secretclub last 7 days"
    )
    assert only_private.messages[0].startswith("r/secretclub is private")
    assert only_private.messages[1] == "Which subreddits should I look at? For example: r/smallbusiness r/freelance"


def watch_chat(runtime: Runtime, source: RedditSource) -> ChatService:
    return ChatService(
        runtime.database,
        runtime.service,
        Dialog(runtime.settings),
        resolver=source,
        watches=WatchService(runtime.database, runtime.settings),
    )


async def watches_of(runtime: Runtime) -> list[WatchRow]:
    async with runtime.database.unit_of_work() as session:
        return list(await WatchRepository(session).list_for("slack", "T1", None))


async def test_a_watch_of_an_unknown_or_private_subreddit_is_explained_and_not_stored(
    runtime: Runtime, source: RedditSource, small_fake: FakeRedditServer
) -> None:
    small_fake.fake.add_subreddit("secretclub", "private")
    thread = ThreadRef("slack", "T1", "C1", "names-w1", "U1")
    unknown = await watch_chat(runtime, source).handle(thread, "watch r/doesnotexist123 daily")
    assert unknown.messages[0].startswith("There is no r/doesnotexist123 on Reddit.")
    assert unknown.messages[-1] == "Which subreddits should I watch?"
    private = await watch_chat(runtime, source).handle(
        ThreadRef("slack", "T1", "C1", "names-w2", "U1"), "watch r/secretclub for churn daily"
    )
    assert private.messages[0].startswith("r/secretclub is private")
    assert private.messages[-1] == "Which subreddits should I watch?"
    await watch_chat(runtime, source).handle(thread, "yes")
    assert await watches_of(runtime) == []


async def test_a_misspelt_watch_subreddit_is_suggested_and_stored_as_reddit_spells_it_after_yes(
    runtime: Runtime, source: RedditSource
) -> None:
    thread = ThreadRef("slack", "T1", "C1", "names-w3", "U1")
    asked = await watch_chat(runtime, source).handle(thread, "watch r/smallbusines weekly above 60")
    assert "(I took “smallbusines” to mean r/smallbusiness.)" in asked.messages[-1]
    assert await watches_of(runtime) == []
    await watch_chat(runtime, source).handle(thread, "yes")
    [row] = await watches_of(runtime)
    assert (row.subreddits, row.threshold) == (["smallbusiness"], 60)
