"""``oppscout bot`` for Discord: connect to the gateway and serve until stopped."""

from __future__ import annotations

import logging

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


async def run_discord(runtime: Runtime, chat: ChatService) -> None:
    """Run the Discord bot until the process is stopped."""
    token = runtime.settings.discord_token
    if token is None:
        raise AppError("Discord is not configured: set OPPSCOUT_DISCORD_TOKEN.")
    bot = build_bot(runtime, chat)
    async with bot:
        log.info("starting the Discord bot")
        try:
            await bot.start(token.get_secret_value())
        except discord.LoginFailure as error:
            raise AppError(
                "Discord rejected OPPSCOUT_DISCORD_TOKEN. Copy the bot token again from the Developer Portal "
                "(Bot → Reset Token)."
            ) from error
