"""What an operator relies on: the documented invite URL, and Discord running beside Slack."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from pydantic import SecretStr

from oppscout.bot.discord.app import invite_url, required_permissions
from oppscout.bot.discord.notifier import DiscordThreadNotifier
from oppscout.bot.discord.runner import run_discord
from oppscout.bot.launcher import configured_platforms
from oppscout.core.conversation.chat import ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.core.errors import AppError
from oppscout.runtime import Runtime, build_thread_notifiers
from tests.fakes.discord_server import FakeDiscord

DOC = Path(__file__).resolve().parents[3] / "docs" / "discord.md"


def test_the_documented_invite_url_asks_for_exactly_the_needed_permissions() -> None:
    url = invite_url(123)
    assert "scope=bot+applications.commands" in url
    permissions = required_permissions()
    assert f"permissions={permissions.value}" in url
    assert f"permissions={permissions.value}" in DOC.read_text()
    assert not permissions.administrator
    assert not permissions.read_message_history
    assert not permissions.manage_messages
    assert not permissions.mention_everyone


async def test_discord_runs_beside_slack_and_workers_can_post_to_it(runtime: Runtime) -> None:
    settings = runtime.settings.model_copy(
        update={"discord_token": SecretStr("d-token"), "slack_bot_token": SecretStr("xoxb-test")}
    )
    both = dataclasses.replace(runtime, settings=settings)
    assert {"discord", "slack"} <= set(configured_platforms(both))
    notifiers = build_thread_notifiers(settings)
    assert isinstance(notifiers["discord"], DiscordThreadNotifier)
    assert "discord" not in configured_platforms(runtime)


async def test_a_wrong_token_is_reported_plainly(discord_runtime: Runtime, fake_discord: FakeDiscord) -> None:
    fake_discord.token = "the-real-token"
    chat = ChatService(discord_runtime.database, discord_runtime.service, Dialog(discord_runtime.settings))
    with pytest.raises(AppError, match="Discord rejected OPPSCOUT_DISCORD_TOKEN"):
        await run_discord(discord_runtime, chat)
    assert fake_discord.calls("GET", "/users/@me")
