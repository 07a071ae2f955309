"""Fixtures for the Discord bot: the fake REST server, a live fake gateway and the bot connected to both."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from discord.gateway import DiscordWebSocket
from pydantic import SecretStr

from oppscout.bot.discord.app import ScoutBot
from oppscout.bot.discord.runner import build_bot, connect_with_retries
from oppscout.core.conversation.chat import ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.core.errors import VoiceError
from oppscout.core.ports import Transcript
from oppscout.core.settings import Settings
from oppscout.runtime import Runtime
from tests.fakes.discord_gateway_socket import FakeGateway
from tests.fakes.discord_server import FakeDiscord

# Names discord.py gives the tasks that run event handlers, commands and component callbacks.
HANDLER_TASKS = ("discord.py:", "CommandTree-invoker", "discord-ui-")
GUILD_ID = 700000000000000001
USER_ID = 800000000000000001
OTHER_USER_ID = 800000000000000002


@dataclass
class ScriptedTranscriber:
    """A Transcriber (the port, not a Discord client): returns a set text for OGG audio, refuses the rest."""

    text: str = "scan r/smallbusiness and r/freelance about invoicing, last two weeks, budget $2"
    heard: list[bytes] = field(default_factory=list)

    async def transcribe(self, audio: bytes, *, filename: str = "", hotwords: Sequence[str] = ()) -> Transcript:
        """Check the bytes are an Ogg stream, as Discord voice messages are, and return the script."""
        self.heard.append(audio)
        if not audio.startswith(b"OggS"):
            raise VoiceError("I couldn't read that audio; please send it again or type your request.")
        return Transcript(text=self.text, duration=3.5)


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """The fake Discord REST API, listening on 127.0.0.1."""
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def discord_settings(settings: Settings, fake_discord: FakeDiscord) -> Settings:
    """Test settings with a bot token and the fake server as the Discord API."""
    return settings.model_copy(
        update={"discord_token": SecretStr("test-token"), "discord_api_base_url": fake_discord.base_url}
    )


@pytest.fixture
async def discord_runtime(discord_settings: Settings) -> AsyncIterator[Runtime]:
    """Database, Redis, queue and service wired with the Discord settings."""
    rt = await Runtime.open(discord_settings)
    yield rt
    await rt.close()


@pytest.fixture
def transcriber() -> ScriptedTranscriber:
    """The fake transcriber the bot's ChatService uses."""
    return ScriptedTranscriber()


@dataclass
class Gateway:
    """The bot connected to a live fake gateway; events reach it as dispatches over the WebSocket."""

    bot: ScoutBot
    server: FakeDiscord
    live: FakeGateway
    channel: dict[str, Any]
    runtime: Runtime

    async def settle(self) -> None:
        """Wait until every handler discord.py started for the sent dispatches has finished."""
        while True:
            pending = [
                t
                for t in asyncio.all_tasks()
                if t is not asyncio.current_task() and not t.done() and t.get_name().startswith(HANDLER_TASKS)
            ]
            if not pending:
                return
            await asyncio.gather(*pending, return_exceptions=True)

    async def dispatch(self, event: str, payload: dict[str, Any]) -> None:
        """Send one dispatch over the gateway and wait until discord.py has read it.

        discord.py records a frame's sequence number and runs its parser in one step, so once the
        bot's sequence has reached this frame's, the handlers for it have been started.
        """
        await self.live.dispatch(event, payload)
        assert self.live.session is not None
        sent = self.live.session.sequence
        async with asyncio.timeout(15):
            while self.bot.ws is None or (self.bot.ws.sequence or 0) < sent:
                await asyncio.sleep(0.005)

    async def command(
        self, name: str, options: dict[str, Any] | None = None, *, user_id: int = USER_ID, **kwargs: Any
    ) -> dict[str, Any]:
        """INTERACTION_CREATE for a slash command; returns the payload (its token finds the replies)."""
        data = {
            "id": "1",
            "name": name,
            "type": 1,
            "options": [{"name": k, "type": _option_type(v), "value": v} for k, v in (options or {}).items()],
        }
        kwargs.setdefault("channel", self.channel)
        if "guild_id" not in kwargs and kwargs["channel"]["type"] != 1:
            kwargs["guild_id"] = GUILD_ID
        payload = self.server.interaction(2, data, user_id=user_id, **kwargs)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def click(
        self, message: dict[str, Any], custom_id: str, *, user_id: int = USER_ID, channel: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """INTERACTION_CREATE for a button click on ``message``."""
        channel = channel or self.server.channels[int(message["channel_id"])]
        guild = None if channel["type"] == 1 else GUILD_ID
        payload = self.server.interaction(
            3,
            {"custom_id": custom_id, "component_type": 2},
            channel=channel,
            user_id=user_id,
            guild_id=guild,
            message=message,
        )
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload


def _option_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    return 3


@asynccontextmanager
async def connected_bot(runtime: Runtime, chat: ChatService, live: FakeGateway) -> AsyncIterator[ScoutBot]:
    """The bot as `oppscout bot` runs it: logged in over REST, connected through ``connect_with_retries``
    to the live gateway named by its gateway setting, and ready (READY and every GUILD_CREATE read)."""
    settings = runtime.settings.model_copy(update={"discord_gateway_url": live.url})
    default = DiscordWebSocket.DEFAULT_GATEWAY
    bot = build_bot(dataclasses.replace(runtime, settings=settings), chat)
    # discord.py waits this long after the last GUILD_CREATE before it is ready (2 s by default); the fake
    # sends every GUILD_CREATE right after READY, so a short wait loses nothing.
    bot._connection.guild_ready_timeout = 0.05
    await bot.login("test-token")
    serving = asyncio.create_task(connect_with_retries(bot, max_delay=1.0))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 15)
        yield bot
    finally:
        await bot.close()
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
        DiscordWebSocket.DEFAULT_GATEWAY = default


@pytest.fixture
async def gateway(
    discord_runtime: Runtime, fake_discord: FakeDiscord, transcriber: ScriptedTranscriber
) -> AsyncIterator[Gateway]:
    """A bot connected to a live fake gateway and the fake REST API, in one server with one text channel."""
    settings = discord_runtime.settings
    chat = ChatService(discord_runtime.database, discord_runtime.service, Dialog(settings), transcriber=transcriber)
    channel = fake_discord.add_channel(GUILD_ID)
    live = FakeGateway([fake_discord.guild_create(GUILD_ID, [channel])])
    await live.start()
    try:
        async with connected_bot(discord_runtime, chat, live) as bot:
            yield Gateway(bot, fake_discord, live, channel, discord_runtime)
    finally:
        await live.stop()
