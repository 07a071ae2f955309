"""The Discord bot process: a ``commands.Bot`` with minimal intents, the slash commands and the buttons.

Intents: ``guilds`` (channels and threads), ``guild_messages`` and ``dm_messages`` (mentions and
DMs). The privileged message-content intent is not needed: Discord sends the content of messages
that mention the bot, of replies to it and of DMs to every bot.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from oppscout.bot.discord.commands import ScoutCommands
from oppscout.bot.discord.errors import report_error, report_message_error
from oppscout.bot.discord.handlers import DiscordHandlers
from oppscout.bot.discord.scans import ScanButton
from oppscout.bot.discord.views import ConfirmButton, VoteButton

log = logging.getLogger(__name__)


def minimal_intents() -> discord.Intents:
    """The intents the bot asks for; none of them privileged."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    return intents


def required_permissions() -> discord.Permissions:
    """Exactly what the bot needs in a channel: see it, post, thread, embed and attach."""
    return discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        create_public_threads=True,
        embed_links=True,
        attach_files=True,
    )


def invite_url(application_id: int) -> str:
    """The OAuth2 URL that adds the bot with its slash commands and exactly ``required_permissions``."""
    return discord.utils.oauth_url(
        application_id, permissions=required_permissions(), scopes=("bot", "applications.commands")
    )


def use_api_base(url: str) -> None:
    """Point discord.py's REST client at ``url`` (the real API, a proxy, or a test server)."""
    Route.BASE = url.rstrip("/")


def use_gateway(url: str | None) -> None:
    """Point discord.py's first gateway connection at ``url`` (None: Discord's own).

    discord.py opens its first WebSocket to ``DiscordWebSocket.DEFAULT_GATEWAY`` (and goes back to it
    after an invalid session), whatever the REST base says; later RESUMEs use the URL READY gave.
    """
    if url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)


class ScoutBot(commands.Bot):
    """The gateway side of the Discord integration: receives events and hands them to the handlers."""

    def __init__(self, handlers: DiscordHandlers, *, sync_commands: bool = True) -> None:
        options: dict[str, Any] = {}
        if handlers.settings.discord_application_id is not None:
            options["application_id"] = handlers.settings.discord_application_id
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=minimal_intents(),
            help_command=None,
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=True),
            **options,
        )
        self.handlers = handlers
        self.sync_commands = sync_commands
        self.tree.error(self._on_app_command_error)

    async def setup_hook(self) -> None:
        """Register the commands and the buttons; sync the commands with Discord when asked to."""
        await self.add_cog(ScoutCommands(self.handlers))
        self.add_dynamic_items(ConfirmButton, VoteButton, ScanButton)
        if self.sync_commands:
            synced = await self.tree.sync()
            log.info("registered %d slash commands", len(synced))

    async def _on_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)

    async def on_message(self, message: discord.Message) -> None:
        """Mentions and DMs (typed or voice); prefix commands are not used."""
        if self.user is None:
            return
        try:
            await self.handlers.message(message, self.user.id)
        except Exception as error:  # noqa: BLE001 - the central handler answers every failure
            await report_message_error(message, error)
