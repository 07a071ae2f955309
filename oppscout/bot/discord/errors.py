"""The one place Discord errors are turned into something the user can read.

Slash commands, buttons, modals and plain messages all route their exceptions here. User-facing
errors (``AppError``) are shown as they are; Discord refusing us (403) gets an explanation of the
missing permission; anything else is logged and answered with a short apology, never a trace.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from oppscout.core.errors import AppError, VoiceError

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side. Nothing was started or charged; please try again."
FORBIDDEN = (
    "Discord didn't let me do that here: I'm missing a permission in this channel. I need View Channel, "
    "Send Messages, Send Messages in Threads, Create Public Threads, Embed Links and Attach Files."
)


class VoiceMessageRejectedError(VoiceError):
    """A Discord voice message we will not download (too long, too big, not audio)."""


def unwrap(error: BaseException) -> BaseException:
    """The error a command raised, without discord.py's wrappers."""
    while isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError) and error.__cause__:
        error = error.__cause__
    return error


def explain(error: BaseException, *, context: str = "") -> str:
    """What to tell the user about ``error``; unexpected errors are logged here."""
    error = unwrap(error)
    if isinstance(error, AppError):
        return error.message
    if isinstance(error, discord.Forbidden):
        return FORBIDDEN
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} seconds."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that command here."
    log.error("unexpected error in Discord %s", context or "handler", exc_info=error)
    return APOLOGY


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Answer a failed interaction privately, whether or not it was acknowledged yet."""
    context = interaction.command.qualified_name if interaction.command else f"interaction {interaction.type.name}"
    text = explain(error, context=context)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell the user about an error", exc_info=True)


async def report_message_error(message: discord.Message, error: BaseException) -> None:
    """Answer a failed mention or DM in its channel, or in DMs when the channel refuses."""
    text = explain(error, context="message")
    try:
        await message.channel.send(text)
    except discord.Forbidden:
        try:
            await message.author.send(text)
        except discord.HTTPException:
            log.warning("could not tell the user about an error", exc_info=True)
    except discord.HTTPException:
        log.warning("could not tell the user about an error", exc_info=True)
