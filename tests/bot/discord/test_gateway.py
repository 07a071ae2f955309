"""discord.py against a live fake gateway: HELLO, IDENTIFY, heartbeats, READY, GUILD_CREATE,
INTERACTION_CREATE over the WebSocket, and RESUME after Discord drops the connection."""

from __future__ import annotations

from typing import Any

from oppscout.core.conversation.chat import ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.runtime import Runtime
from tests.bot.discord.conftest import GUILD_ID, USER_ID, connected_bot
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
