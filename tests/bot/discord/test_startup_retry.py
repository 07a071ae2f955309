"""Discord unreachable when ``oppscout bot`` starts: the bot keeps trying, says so once, and connects when it can."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest
from pydantic import SecretStr

from oppscout.bot.discord.runner import run_discord
from oppscout.core.conversation.chat import ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.runtime import Runtime
from tests.fakes.discord_server import FakeDiscord
from tests.redis_process import free_port


async def test_a_bot_started_while_discord_is_unreachable_retries_and_logs_in_once_discord_answers(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()  # nothing listens here yet: Discord is unreachable
    settings = runtime.settings.model_copy(
        update={"discord_token": SecretStr("test-token"), "discord_api_base_url": f"http://127.0.0.1:{port}/api/v10"}
    )
    runtime.settings = settings
    chat = ChatService(runtime.database, runtime.service, Dialog(settings))
    caplog.set_level(logging.INFO, logger="oppscout.bot.discord.runner")
    bot = asyncio.create_task(run_discord(runtime, chat, first_pause=0.2, most_pause=0.5))
    fake = FakeDiscord()
    try:
        await asyncio.sleep(1.5)
        assert not bot.done(), bot.exception() if bot.done() else None  # still trying, not exited
        await fake.start(port)
        async with asyncio.timeout(20):
            while not fake.calls("GET", "/users/@me"):
                assert not bot.done(), bot.exception() if bot.done() else None
                await asyncio.sleep(0.05)
    finally:
        bot.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bot
        await fake.stop()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "Discord is unreachable" in r.message]
    assert len(warnings) == 1
    assert sum("Discord still unreachable" in r.message for r in caplog.records) >= 1
