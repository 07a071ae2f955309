"""``oppscout bot``: runs every configured chat platform side by side in one process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from oppscout.core.conversation.chat import ChatService
from oppscout.core.errors import AppError
from oppscout.core.health import Component, ComponentHealth, ComponentState, keep_reporting
from oppscout.runtime import Runtime
from oppscout.voice.health_report import keep_reporting as keep_transcriber_reporting
from oppscout.voice.transcriber import WhisperTranscriber

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
    reporters = [asyncio.create_task(keep_reporting(runtime.redis, _running(Component(name)))) for name in platforms]
    if isinstance(chat.transcriber, WhisperTranscriber):
        reporters.append(asyncio.create_task(keep_transcriber_reporting(runtime.redis, chat.transcriber)))
    try:
        await asyncio.gather(*(run(runtime, chat) for run in platforms.values()))
    finally:
        for reporter in reporters:
            reporter.cancel()


def _running(component: Component) -> Callable[[], Awaitable[ComponentHealth]]:
    # A platform's runner is alive for as long as this process is: its report expires with the process.
    async def probe() -> ComponentHealth:
        return ComponentHealth(
            name=component, status=ComponentState.HEALTHY, detail="bot process running", reported_by="bot"
        )

    return probe
