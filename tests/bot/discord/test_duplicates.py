"""Repeated deliveries and double clicks never start a second analysis."""

from __future__ import annotations

import copy
from typing import cast

import discord

from oppscout.bot.discord.handlers import ALREADY_ANSWERED
from oppscout.bot.discord.places import Place, ref_for_channel
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.repositories.conversations import ConversationRepository
from tests.bot.discord.conftest import GUILD_ID, USER_ID, Gateway
from tests.bot.discord.helpers import custom_ids, texts, with_button


async def count_analyses(gateway: Gateway) -> int:
    async with gateway.runtime.database.unit_of_work() as session:
        return len(await AnalysisRepository(session).list_recent(limit=50))


async def test_a_redelivered_interaction_is_handled_once(gateway: Gateway) -> None:
    server = gateway.server
    payload = await gateway.command("scout-scan", {"subreddits": "smallbusiness"})
    thread = (await server.wait_for(server.threads))[0]
    await server.wait_for(lambda: any(t.startswith("⏳") for t in texts(server, int(thread["id"]))))
    await gateway.dispatch("INTERACTION_CREATE", payload)  # the gateway replays the same interaction
    await gateway.settle()
    assert len(server.callbacks(payload["token"])) == 1
    # Discord refused the replay's acknowledgement; the bot took that quietly, with no error shown.
    assert not server.calls("POST", f"/webhooks/900000000000000002/{payload['token']}")
    assert len(server.threads()) == 1
    assert await count_analyses(gateway) == 1


async def test_a_double_clicked_run_starts_one_analysis(gateway: Gateway) -> None:
    server = gateway.server
    await gateway.command("scout", {"request": "r/smallbusiness about invoicing, last 14 days, budget $5"})
    question = (await server.wait_for(lambda: with_button(server, "oppscout:confirm:run")))[0]
    run_id = next(i for i in custom_ids(question) if ":run:" in i)
    shown = copy.deepcopy(question)  # both clicks land on the message as the user saw it, buttons live
    first = await gateway.click(shown, run_id)
    second = await gateway.click(shown, run_id)
    await server.wait_for(lambda: server.callbacks(first["token"]) and server.callbacks(second["token"]))
    answers = [server.callbacks(first["token"])[0], server.callbacks(second["token"])[0]]
    assert sorted(a["type"] for a in answers) == [4, 7]  # one took the buttons away, one was told
    told = next(a for a in answers if a["type"] == 4)
    assert told["data"]["content"] == ALREADY_ANSWERED
    assert told["data"]["flags"] & 64
    await gateway.settle()
    assert await count_analyses(gateway) == 1
    assert sum(t.startswith("Starting") for t in texts(server, int(question["channel_id"]))) == 1


async def test_a_repeated_message_is_answered_once(gateway: Gateway) -> None:
    server = gateway.server
    message = server.message_create(
        channel_id=int(gateway.channel["id"]),
        user_id=USER_ID,
        guild_id=GUILD_ID,
        mentions_bot=True,
        content="<@900000000000000001> r/smallbusiness about invoicing, last 14 days, budget $5",
    )
    await gateway.dispatch("MESSAGE_CREATE", message)
    await gateway.dispatch("MESSAGE_CREATE", message)
    await gateway.settle()
    assert len(server.calls("POST", "/threads")) == 1
    assert len(with_button(server, "oppscout:confirm:run")) == 1


async def test_no_second_progress_message_when_the_worker_posted_first(gateway: Gateway) -> None:
    server = gateway.server
    channel = gateway.bot.get_channel(int(gateway.channel["id"]))
    assert isinstance(channel, discord.TextChannel)
    ref = ref_for_channel(channel, guild_id=GUILD_ID, user_id=USER_ID)
    request = gateway.bot.handlers.build_request("smallbusiness", 7, None, 0.5)
    submission = await gateway.runtime.service.submit(request, thread=ref)
    async with gateway.runtime.database.unit_of_work() as session:
        conversations = ConversationRepository(session)
        row = await conversations.for_analysis(submission.analysis_id)
        assert row is not None
        await conversations.set_progress_message(row.id, "1234")  # a fast worker's progress message
    user = cast(discord.User, gateway.bot.user)
    await gateway.bot.handlers.start_progress(Place(ref, channel, user), submission)
    assert not any(t.startswith("⏳") for t in texts(server, int(gateway.channel["id"])))
