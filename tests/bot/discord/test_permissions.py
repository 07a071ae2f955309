"""Permission fallbacks: no thread → the channel; no channel → DMs; each time the user is told why."""

from __future__ import annotations

from typing import Any

from oppscout.bot.discord.notifier import MOVED_TO_DM, DiscordThreadNotifier
from oppscout.bot.discord.places import NO_SEND_NOTE, NO_THREAD_NOTE
from oppscout.core.contract import ProgressUpdate, Stage
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.repositories.conversations import ConversationRepository
from oppscout.core.delivery import ThreadView
from oppscout.core.events import NoticeEvent, ProgressEvent
from tests.bot.discord.conftest import GUILD_ID, USER_ID, Gateway
from tests.bot.discord.helpers import custom_ids, texts, with_button
from tests.fakes.discord_gateway import ALL_NEEDED_PERMISSIONS

CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES = 1 << 11
SEND_IN_THREADS = 1 << 38
REQUEST = "r/smallbusiness about invoicing, last 14 days, budget $5"


def original(gateway: Gateway, payload: dict[str, Any]) -> dict[str, Any]:
    state = gateway.server.interactions[payload["token"]]
    return gateway.server.messages[state["original"]]


async def test_without_thread_permission_the_bot_answers_in_the_channel(gateway: Gateway) -> None:
    server = gateway.server
    payload = await gateway.command(
        "scout", {"request": REQUEST}, app_permissions=ALL_NEEDED_PERMISSIONS & ~CREATE_PUBLIC_THREADS
    )
    question = (await server.wait_for(lambda: with_button(server, "oppscout:confirm:run")))[0]
    assert server.threads() == []
    assert not server.calls("POST", "/threads")
    assert int(question["channel_id"]) == int(gateway.channel["id"])
    assert NO_THREAD_NOTE in original(gateway, payload)["content"]

    # Run still works in the channel, for the person who asked.
    await gateway.click(question, next(i for i in custom_ids(question) if ":run:" in i))
    await server.wait_for(lambda: any(t.startswith("Starting") for t in texts(server, int(gateway.channel["id"]))))
    await gateway.settle()
    # Whatever posts later (the worker, alerts) finds a channel it can post to in both ids.
    async with gateway.runtime.database.unit_of_work() as session:
        (analysis,) = await AnalysisRepository(session).list_recent()
        conversation = await ConversationRepository(session).for_analysis(analysis.id)
    assert conversation is not None
    assert conversation.channel_id == conversation.thread_id == gateway.channel["id"]


async def test_when_discord_refuses_the_thread_the_bot_answers_in_the_channel(gateway: Gateway) -> None:
    server = gateway.server
    server.forbidden_threads.add(int(gateway.channel["id"]))
    payload = await gateway.command("scout", {"request": REQUEST})
    question = (await server.wait_for(lambda: with_button(server, "oppscout:confirm:run")))[0]
    assert server.calls("POST", "/threads")  # it tried, and was refused with 403
    assert int(question["channel_id"]) == int(gateway.channel["id"])
    assert NO_THREAD_NOTE in original(gateway, payload)["content"]


async def test_without_send_permission_the_bot_continues_in_dms(gateway: Gateway) -> None:
    server = gateway.server
    permissions = ALL_NEEDED_PERMISSIONS & ~(SEND_MESSAGES | CREATE_PUBLIC_THREADS | SEND_IN_THREADS)
    payload = await gateway.command("scout", {"request": REQUEST}, app_permissions=permissions)
    question = (await server.wait_for(lambda: with_button(server, "oppscout:confirm:run")))[0]
    (dm,) = server.dm_channels()
    assert int(question["channel_id"]) == int(dm["id"])
    assert int(dm["recipients"][0]["id"]) == USER_ID
    assert f"<#{gateway.channel['id']}>" in question["content"]
    assert NO_SEND_NOTE in original(gateway, payload)["content"]
    assert not server.channel_messages(int(gateway.channel["id"]))[1:]


async def test_a_mention_where_the_bot_may_not_post_is_answered_by_dm(gateway: Gateway) -> None:
    server = gateway.server
    channel_id = int(gateway.channel["id"])
    server.forbidden_threads.add(channel_id)
    server.forbidden_send.add(channel_id)
    await gateway.dispatch(
        "MESSAGE_CREATE",
        server.message_create(
            channel_id=channel_id,
            user_id=USER_ID,
            guild_id=GUILD_ID,
            mentions_bot=True,
            content="<@900000000000000001> help",
        ),
    )
    dm = (await server.wait_for(server.dm_channels))[0]
    reply = (await server.wait_for(lambda: server.channel_messages(int(dm["id"]))))[0]
    assert "couldn't post in the channel" in reply["content"]
    assert "I find product opportunities" in reply["content"]


async def test_worker_delivery_moves_to_dm_when_the_channel_refuses(gateway: Gateway) -> None:
    server = gateway.server
    channel_id = int(gateway.channel["id"])
    server.forbidden_send.add(channel_id)
    notifier = DiscordThreadNotifier(gateway.runtime.settings)
    view = ThreadView(1, "discord", str(GUILD_ID), str(channel_id), str(channel_id), str(USER_ID), None)
    try:
        await notifier.deliver(NoticeEvent(analysis_id="a" * 32, message="Reddit is slow today."), view)
        progress_id = await notifier.deliver(
            ProgressEvent(analysis_id="a" * 32, progress=ProgressUpdate(stage=Stage.REDDIT_COLLECTION, percent=10)),
            view,
        )
    finally:
        await notifier.aclose()
    (dm,) = server.dm_channels()
    notice, progress = server.channel_messages(int(dm["id"]))
    assert notice["content"].startswith(MOVED_TO_DM)
    assert "Reddit is slow today." in notice["content"]
    assert "collecting posts" in progress["content"]
    # The progress id names the DM channel, so the next edits go where the message is.
    assert progress_id == f"{dm['id']}/{progress['id']}"


async def test_a_server_the_bot_has_not_loaded_yet_still_gets_an_answer(gateway: Gateway) -> None:
    server = gateway.server
    unknown_guild = GUILD_ID + 1
    channel = server.add_channel(unknown_guild, "fresh")
    await gateway.command("scout", {"request": REQUEST}, channel=channel, guild_id=unknown_guild)
    question = (await server.wait_for(lambda: with_button(server, "oppscout:confirm:run")))[0]
    (thread,) = server.threads()
    assert thread["parent_id"] == channel["id"]
    assert int(question["channel_id"]) == int(thread["id"])
    assert "Estimate" in question["content"]
