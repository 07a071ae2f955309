"""What an operator relies on: the documented invite URL, and Discord running beside Slack."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pydantic import SecretStr

from oppscout.bot.discord.app import invite_url, required_permissions
from oppscout.bot.discord.notifier import DiscordThreadNotifier
from oppscout.bot.launcher import configured_platforms
from oppscout.runtime import Runtime, build_thread_notifiers

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
