"""discord.py against a live fake gateway: HELLO, IDENTIFY, heartbeats, READY, GUILD_CREATE,
INTERACTION_CREATE over the WebSocket, RESUME after Discord drops the connection, and a conversation held
in a DM."""

from __future__ import annotations

from typing import Any

from oppscout.core.conversation.chat import ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.runtime import Runtime
from tests.bot.discord.conftest import GUILD_ID, USER_ID, connected_bot
from tests.bot.discord.helpers import custom_ids
from tests.fakes.discord_gateway_socket import HEARTBEAT, IDENTIFY, RESUME, FakeGateway
from tests.fakes.discord_server import FakeDiscord


def help_command(fake: FakeDiscord, channel: dict[str, Any]) -> dict[str, Any]:
    data = {"id": "1", "name": "scout-help", "type": 1, "options": []}
    return fake.interaction(2, data, channel=channel, user_id=USER_ID, guild_id=GUILD_ID)


async def test_the_bot_identifies_heartbeats_and_resumes_over_a_live_gateway(
    discord_runtime: Runtime, fake_discord: FakeDiscord
) -> None:
    channel = fake_discord.add_channel(GUILD_ID)
    live = FakeGateway([fake_discord.guild_create(GUILD_ID, [channel])], heartbeat_ms=200)
    await live.start()
    try:
        chat = ChatService(discord_runtime.database, discord_runtime.service, Dialog(discord_runtime.settings))
        async with connected_bot(discord_runtime, chat, live) as bot:
            (identify,) = live.log.ops(IDENTIFY)
            assert identify["d"]["token"] == "test-token"
            assert identify["d"]["intents"] == bot.intents.value
            assert bot.get_guild(GUILD_ID) is not None  # GUILD_CREATE arrived over the socket
            await live.wait_for(lambda: len(live.log.ops(HEARTBEAT)) >= 2)  # and heartbeats keep coming

            first = help_command(fake_discord, channel)
            await live.dispatch("INTERACTION_CREATE", first)
            (answer,) = await fake_discord.wait_for(lambda: fake_discord.callbacks(first["token"]))
            assert "r/smallbusiness" in answer["data"]["content"]

            # Discord drops the connection; the bot reconnects to resume_gateway_url and RESUMEs its session.
            assert live.session is not None
            seq = live.session.sequence
            await live.drop(4000)
            (resume,) = await live.wait_for(lambda: live.log.ops(RESUME))
            assert resume["d"]["session_id"] == live.session.session_id and resume["d"]["seq"] == seq
            assert live.connections == 2
            assert len(live.log.ops(IDENTIFY)) == 1  # resumed, not identified again

            second = help_command(fake_discord, channel)
            await live.dispatch("INTERACTION_CREATE", second)
            await fake_discord.wait_for(lambda: fake_discord.callbacks(second["token"]))
    finally:
        await live.stop()


def dm_channel(fake: FakeDiscord) -> dict[str, Any]:
    """A DM channel between the user and the bot, known to the fake REST API (type 1, no guild)."""
    dm: dict[str, Any] = {"id": str(fake.snowflake()), "type": 1, "recipients": []}
    fake.channels[int(dm["id"])] = dm
    return dm


def button(message: dict[str, Any], action: str) -> str:
    return next(i for i in custom_ids(message) if f":confirm:{action}:" in i)


async def test_in_a_dm_the_conversation_is_the_dm_itself(discord_runtime: Runtime, fake_discord: FakeDiscord) -> None:
    channel = fake_discord.add_channel(GUILD_ID)
    live = FakeGateway([fake_discord.guild_create(GUILD_ID, [channel])], heartbeat_ms=200)
    await live.start()
    dm = dm_channel(fake_discord)
    dm_id = int(dm["id"])

    def bot_texts() -> list[str]:
        return [m["content"] for m in fake_discord.channel_messages(dm_id) if m["author"]["id"] != str(USER_ID)]

    def questions() -> list[dict[str, Any]]:
        return [m for m in fake_discord.channel_messages(dm_id) if m["content"].startswith("Here's what I understood")]

    async def say(text: str) -> None:
        message = fake_discord.message_create(channel_id=dm_id, user_id=USER_ID, content=text)
        await live.dispatch("MESSAGE_CREATE", message)

    try:
        chat = ChatService(discord_runtime.database, discord_runtime.service, Dialog(discord_runtime.settings))
        async with connected_bot(discord_runtime, chat, live):
            await say("what do people struggle with in r/freelance about invoicing, last 14 days, budget $5")
            (question,) = await fake_discord.wait_for(questions)
            assert "r/freelance" in question["content"]
            assert button(question, "run")  # asked in the DM, with its buttons, not in a thread

            # "yes" typed in the DM answers that question: the analysis starts there.
            await say("yes")
            await fake_discord.wait_for(lambda: any(t.startswith("⏳") for t in bot_texts()))
            assert any(t.startswith("Starting: r/freelance") for t in bot_texts())
            assert not any("Which subreddits" in t or "no analysis in this conversation" in t for t in bot_texts())
            assert custom_ids(fake_discord.messages[int(question["id"])]) == []  # its buttons were taken off

            # Buttons on a question in the DM belong to the DM's conversation.
            await say("now r/smallbusiness about payroll, last 7 days, budget $5")
            second = (await fake_discord.wait_for(lambda: questions()[1:]))[0]
            assert "r/smallbusiness" in second["content"]
            click = fake_discord.interaction(
                3, {"custom_id": button(second, "cancel"), "component_type": 2}, channel=dm, user_id=USER_ID,
                message=second,
            )  # fmt: skip
            await live.dispatch("INTERACTION_CREATE", click)
            await fake_discord.wait_for(lambda: any("Nothing was run" in t for t in bot_texts()))
            await say("yes")  # the DM's question was cancelled by its button, so this "yes" starts nothing
            await fake_discord.wait_for(lambda: bot_texts()[-1].startswith("Which subreddits"))
            assert sum(t.startswith("Starting") for t in bot_texts()) == 1

            assert fake_discord.threads() == []  # no thread was opened anywhere
            assert not fake_discord.channel_messages(int(channel["id"]))
    finally:
        await live.stop()
