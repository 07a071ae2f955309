"""``oppscout bot``: runs every configured chat platform side by side in one process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from oppscout.core.conversation.chat import ChatService
from oppscout.core.errors import AppError
from oppscout.runtime import Runtime

PlatformRunner = Callable[[Runtime, ChatService], Awaitable[None]]


def configured_platforms(runtime: Runtime) -> dict[str, PlatformRunner]:
    """The platforms whose credentials are in settings, by name."""
    platforms: dict[str, PlatformRunner] = {}
    if runtime.settings.slack_bot_token is not None or runtime.settings.slack_client_id:
        from oppscout.bot.slack.app import run_slack

        platforms["slack"] = run_slack
    if runtime.settings.discord_token is not None:
        from oppscout.bot.discord.runner import run_discord

        platforms["discord"] = run_discord
    return platforms


async def run_bots(runtime: Runtime, chat: ChatService) -> None:
    """Run every configured platform until one stops; raise a clear error when none is configured."""
    platforms = configured_platforms(runtime)
    if not platforms:
        raise AppError(
            "No chat platform is configured. Set OPPSCOUT_SLACK_BOT_TOKEN (Slack) or OPPSCOUT_DISCORD_TOKEN "
            "(Discord), or try `oppscout chat` in this terminal."
        )
    await asyncio.gather(*(run(runtime, chat) for run in platforms.values()))
