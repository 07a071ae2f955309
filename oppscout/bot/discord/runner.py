"""``oppscout bot`` for Discord: connect to the gateway and serve until stopped.

Start-up waits out an unreachable gateway with growing pauses instead of exiting: discord.py
reconnects by itself once it has connected, but not before its first connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aiohttp
import discord
from discord.backoff import ExponentialBackoff

from oppscout.bot.discord.app import ScoutBot, use_api_base, use_gateway
from oppscout.bot.discord.handlers import DiscordHandlers
from oppscout.core.conversation.chat import ChatService
from oppscout.core.errors import AppError
from oppscout.runtime import Runtime

log = logging.getLogger(__name__)

# What an unreachable or failing gateway raises on the first connection.
UNREACHABLE = (
    OSError,
    aiohttp.ClientError,
    asyncio.TimeoutError,
    discord.GatewayNotFound,
    discord.ConnectionClosed,
    discord.DiscordServerError,
)


def build_bot(runtime: Runtime, chat: ChatService) -> ScoutBot:
    """The bot wired to this process's services, with discord.py pointed at the configured API and gateway."""
    settings = runtime.settings
    use_api_base(settings.discord_api_base_url)
    use_gateway(settings.discord_gateway_url)
    handlers = DiscordHandlers(settings, chat, runtime.service, runtime.database)
    return ScoutBot(handlers, sync_commands=settings.discord_sync_commands)


FIRST_PAUSE_SECONDS = 1.0


def _unreachable(bot: discord.Client, error: BaseException) -> bool:
    if isinstance(error, discord.LoginFailure | discord.PrivilegedIntentsRequired):
        return False
    if isinstance(error, UNREACHABLE):
        return True
    # discord.py's reconnect path reads the previous socket's sequence; before the first connection there is
    # none, so an unreachable gateway surfaces as this AttributeError. Only then is it a connection failure.
    return isinstance(error, AttributeError) and bot.ws is None


async def connect_with_retries(
    bot: discord.Client,
    *,
    max_delay: float,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Connect to the gateway (after ``login``) and serve; retry the first connection with capped backoff."""
    backoff = ExponentialBackoff(base=1)
    while True:
        try:
            await bot.connect(reconnect=True)
            return
        except Exception as error:
            if not _unreachable(bot, error) or bot.is_closed():
                raise
            delay = min(max_delay, backoff.delay())
            log.warning("Discord gateway unreachable (%s); trying again in %.1fs", type(error).__name__, delay)
            await sleep(delay)


async def run_discord(
    runtime: Runtime,
    chat: ChatService,
    *,
    first_pause: float = FIRST_PAUSE_SECONDS,
    most_pause: float | None = None,
) -> None:
    """Run the Discord bot until the process is stopped.

    Discord unreachable at start-up — its API (login) or its gateway — is retried with growing
    pauses, said once in the log; once connected, discord.py reconnects by itself. A rejected
    token fails at once.
    """
    token = runtime.settings.discord_token
    if token is None:
        raise AppError("Discord is not configured: set OPPSCOUT_DISCORD_TOKEN.")
    longest = runtime.settings.discord_startup_max_delay_seconds if most_pause is None else most_pause
    failures = 0
    while True:
        # A fresh client each try: one whose start failed half-way keeps state discord.py cannot reuse.
        bot = build_bot(runtime, chat)
        async with bot:
            log.info("starting the Discord bot")
            try:
                await bot.login(token.get_secret_value())
                await connect_with_retries(bot, max_delay=longest)
                return
            except discord.LoginFailure as error:
                raise AppError(
                    "Discord rejected OPPSCOUT_DISCORD_TOKEN. Copy the bot token again from the Developer Portal "
                    "(Bot → Reset Token)."
                ) from error
            except Exception as error:
                if not _unreachable(bot, error):
                    raise
                reason = f"{type(error).__name__}: {error}"
        pause = min(longest, first_pause * 2**failures)
        if failures == 0:
            log.warning("Discord is unreachable (%s); trying again with growing waits until it answers", reason)
        else:
            log.info("Discord still unreachable (%s); next try in %.0f s", reason, pause)
        failures += 1
        await asyncio.sleep(pause)
