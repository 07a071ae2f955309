"""``oppscout bot`` for Discord: connect to the gateway and serve until stopped."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord

from oppscout.bot.discord.app import ScoutBot, use_api_base
from oppscout.bot.discord.handlers import DiscordHandlers
from oppscout.core.conversation.chat import ChatService
from oppscout.core.errors import AppError
from oppscout.runtime import Runtime

log = logging.getLogger(__name__)


def build_bot(runtime: Runtime, chat: ChatService) -> ScoutBot:
    """The bot wired to this process's services, with discord.py pointed at the configured API."""
    settings = runtime.settings
    use_api_base(settings.discord_api_base_url)
    handlers = DiscordHandlers(settings, chat, runtime.service, runtime.database)
    return ScoutBot(handlers, sync_commands=settings.discord_sync_commands)


# Errors that mean Discord could not be reached (or answered 5xx) rather than that something is wrong here.
UNREACHABLE = (OSError, aiohttp.ClientError, asyncio.TimeoutError, discord.GatewayNotFound, discord.DiscordServerError)
FIRST_PAUSE_SECONDS = 1.0
MOST_PAUSE_SECONDS = 60.0


def _unreachable(error: BaseException, *, ever_connected: bool) -> bool:
    if isinstance(error, UNREACHABLE):
        return True
    # discord.py's reconnect loop reads ``self.ws.sequence`` after a failed first connection, when
    # there is no ``ws`` yet: a gateway unreachable at start-up surfaces as this AttributeError.
    return isinstance(error, AttributeError) and not ever_connected


async def run_discord(
    runtime: Runtime,
    chat: ChatService,
    *,
    first_pause: float = FIRST_PAUSE_SECONDS,
    most_pause: float = MOST_PAUSE_SECONDS,
) -> None:
    """Run the Discord bot until the process is stopped.

    Discord unreachable at start-up (its API or gateway) is retried with growing pauses, said once in
    the log; once connected, discord.py reconnects by itself. A rejected token fails at once.
    """
    token = runtime.settings.discord_token
    if token is None:
        raise AppError("Discord is not configured: set OPPSCOUT_DISCORD_TOKEN.")
    failures = 0
    while True:
        # A fresh client each try: one whose start failed half-way keeps state discord.py cannot reuse.
        bot = build_bot(runtime, chat)
        async with bot:
            log.info("starting the Discord bot")
            try:
                await bot.start(token.get_secret_value())
                return
            except discord.LoginFailure as error:
                raise AppError(
                    "Discord rejected OPPSCOUT_DISCORD_TOKEN. Copy the bot token again from the Developer Portal "
                    "(Bot → Reset Token)."
                ) from error
            except Exception as error:
                if not _unreachable(error, ever_connected=bot.ws is not None):
                    raise
                reason = f"{type(error).__name__}: {error}"
        pause = min(most_pause, first_pause * 2**failures)
        if failures == 0:
            log.warning("Discord is unreachable (%s); trying again with growing waits until it answers", reason)
        else:
            log.info("Discord still unreachable (%s); next try in %.0f s", reason, pause)
        failures += 1
        await asyncio.sleep(pause)
