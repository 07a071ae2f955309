"""One central error handler: user errors shown as they are, surprises logged and answered with an apology."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from oppscout.bot.discord.errors import APOLOGY
from oppscout.core.conversation.chat import ChatOutcome
from oppscout.core.db.repositories.conversations import ThreadRef
from tests.bot.discord.conftest import GUILD_ID, USER_ID, Gateway


class BrokenChat:
    """A chat service whose database just went away."""

    async def handle(self, thread: ThreadRef, text: str, **kwargs: Any) -> ChatOutcome:
        raise RuntimeError("database is locked: /secret/path/oppscout.db")


async def test_an_unexpected_error_in_a_command_gets_an_apology_not_a_trace(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    gateway.bot.handlers.chat = BrokenChat()  # type: ignore[assignment]
    server = gateway.server
    with caplog.at_level(logging.ERROR):
        payload = await gateway.command("scout", {"request": "r/SaaS churn"})
        await gateway.settle()
    followups = server.calls("POST", f"/webhooks/900000000000000002/{payload['token']}")
    assert followups
    shown = [f.json["content"] for f in followups]
    assert APOLOGY in shown
    assert not any("secret" in s or "Traceback" in s for s in shown)
    assert followups[-1].json["flags"] & 64
    assert "database is locked" in caplog.text  # logged for us, not shown to them


async def test_an_unexpected_error_on_a_mention_gets_an_apology_in_the_channel(gateway: Gateway) -> None:
    gateway.bot.handlers.chat = BrokenChat()  # type: ignore[assignment]
    server = gateway.server
    await gateway.dispatch(
        "MESSAGE_CREATE",
        server.message_create(
            channel_id=int(gateway.channel["id"]),
            user_id=USER_ID,
            guild_id=GUILD_ID,
            mentions_bot=True,
            content="<@900000000000000001> r/SaaS churn",
        ),
    )
    await gateway.settle()
    posted = [m["content"] for m in server.messages.values() if m["author"]["bot"]]
    assert posted == [APOLOGY]


async def test_a_vote_on_an_unknown_analysis_is_explained(gateway: Gateway) -> None:
    server = gateway.server
    custom_id = f"oppscout:vote:{'b' * 32}:1:up"
    message = server.message_create(channel_id=int(gateway.channel["id"]), user_id=USER_ID, guild_id=GUILD_ID)
    message["components"] = [{"type": 1, "components": [{"type": 2, "style": 2, "label": "1", "custom_id": custom_id}]}]
    click = await gateway.click(message, custom_id)
    await gateway.settle()
    (answer,) = server.callbacks(click["token"])
    assert answer["data"]["content"] == "That analysis has no results to rate."
    assert answer["data"]["flags"] & 64
