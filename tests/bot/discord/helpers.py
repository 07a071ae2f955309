"""Small readers of what the fake Discord server holds, shared by the Discord tests."""

from __future__ import annotations

from typing import Any

from tests.fakes.discord_server import FakeDiscord


def custom_ids(message: dict[str, Any]) -> list[str]:
    """The custom ids of every button on a message."""
    return [c.get("custom_id", "") for row in message.get("components") or [] for c in row.get("components", [])]


def with_button(server: FakeDiscord, prefix: str) -> list[dict[str, Any]]:
    """Messages carrying a button whose custom id starts with ``prefix``."""
    return [m for m in server.messages.values() if any(i.startswith(prefix) for i in custom_ids(m))]


def texts(server: FakeDiscord, channel_id: int) -> list[str]:
    """The contents of a channel's messages, oldest first."""
    return [m["content"] for m in server.channel_messages(channel_id)]
