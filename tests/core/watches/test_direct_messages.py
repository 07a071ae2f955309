"""DMs on Slack and Discord through the real client libraries against the local fakes: delivered, refused, reported."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from pydantic import SecretStr

from oppscout.bot.discord.direct import DiscordDirectMessenger
from oppscout.bot.slack.direct import SlackDirectMessenger
from oppscout.core.outbox import Draft, OutboxDispatcher, enqueue, posters_of
from oppscout.core.settings import Settings
from oppscout.runtime import build_direct_messengers
from tests.core.watches.conftest import Watches
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_server import FakeSlack

TOKEN = "xoxb-test"


@dataclass
class FlakySlack(FakeSlack):
    """The fake Slack, answering conversations.open with a passing error a few times first."""

    open_failures: int = 0

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.open_failures > 0:
            self.open_failures -= 1
            return {"ok": False, "error": "internal_error"}
        return super()._conversations_open(args)


@pytest.fixture
async def slack() -> AsyncIterator[FlakySlack]:
    fake = FlakySlack(token=TOKEN)
    runner = web.AppRunner(fake.web_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield fake
    await runner.cleanup()


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    yield fake
    await fake.stop()


async def _dispatcher(watches: Watches, settings: Settings) -> OutboxDispatcher:
    messengers = build_direct_messengers(settings)
    return OutboxDispatcher(watches.database, messengers, posters=posters_of(messengers), clock=watches.clock)


async def _queue(watches: Watches, channel: str, user: str, report_channel: str, thread: str | None) -> int:
    async with watches.database.unit_of_work() as session:
        message_id = await enqueue(
            session,
            Draft(
                f"alert:{channel}:{user}",
                channel,
                "ws1",
                user,
                "🔔 Watch #1 (r/SaaS): 1 opportunity worth a look",
                report_channel_id=report_channel,
                report_thread_id=thread,
            ),
            watches.clock(),
        )
    assert message_id is not None
    return message_id


async def test_a_slack_dm_opens_the_im_and_posts_the_alert(watches: Watches, slack: FlakySlack) -> None:
    settings = watches.settings.model_copy(
        update={"slack_bot_token": SecretStr(TOKEN), "slack_api_base_url": slack.api_url()}
    )
    dispatcher = await _dispatcher(watches, settings)
    assert isinstance(dispatcher.messengers["slack"], SlackDirectMessenger)
    message_id = await _queue(watches, "slack", "U1", "C1", "1700000000.000001")
    assert (await dispatcher.dispatch_due()).sent == [message_id]
    assert slack.of("conversations.open")[0].args["users"] == "U1"
    posted = slack.of("chat.postMessage")
    assert [(c.args["channel"], c.args["text"]) for c in posted] == [
        ("DU1", "🔔 Watch #1 (r/SaaS): 1 opportunity worth a look")
    ]


async def test_slack_outages_are_retried_until_the_dm_goes_through(watches: Watches, slack: FlakySlack) -> None:
    slack.open_failures = 1
    settings = watches.settings.model_copy(
        update={"slack_bot_token": SecretStr(TOKEN), "slack_api_base_url": slack.api_url()}
    )
    dispatcher = await _dispatcher(watches, settings)
    message_id = await _queue(watches, "slack", "U1", "C1", None)
    assert (await dispatcher.dispatch_due()).retrying == [message_id]
    assert slack.of("chat.postMessage") == []
    watches.clock.advance(minutes=1)
    assert (await dispatcher.dispatch_due()).sent == [message_id]
    assert len(slack.of("chat.postMessage")) == 1


async def test_closed_slack_dms_are_reported_in_the_watchs_thread(watches: Watches, slack: FlakySlack) -> None:
    slack.not_in_channel.add("DU1")
    settings = watches.settings.model_copy(
        update={"slack_bot_token": SecretStr(TOKEN), "slack_api_base_url": slack.api_url()}
    )
    dispatcher = await _dispatcher(watches, settings)
    message_id = await _queue(watches, "slack", "U1", "C1", "1700000000.000001")
    assert (await dispatcher.dispatch_due()).undeliverable == [message_id]
    report = [c for c in slack.of("chat.postMessage") if c.args["channel"] == "C1"]
    assert len(report) == 1
    assert report[0].args["thread_ts"] == "1700000000.000001"
    assert report[0].args["text"].startswith("<@U1> I couldn't send you this alert as a direct message")
    assert "🔔 Watch #1" in report[0].args["text"]
    assert "not_in_channel" in ((await watches.outbox())[0].last_error or "")


async def test_a_discord_dm_is_sent_in_the_users_dm_channel(watches: Watches, discord_fake: FakeDiscord) -> None:
    settings = watches.settings.model_copy(
        update={"discord_token": SecretStr("discord-token"), "discord_api_base_url": discord_fake.base_url}
    )
    dispatcher = await _dispatcher(watches, settings)
    messenger = dispatcher.messengers["discord"]
    assert isinstance(messenger, DiscordDirectMessenger)
    try:
        message_id = await _queue(watches, "discord", "4242", "77", None)
        assert (await dispatcher.dispatch_due()).sent == [message_id]
        (dm,) = discord_fake.dm_channels()
        assert dm["recipients"][0]["id"] == "4242"
        texts = [m["content"] for m in discord_fake.channel_messages(int(dm["id"]))]
        assert texts == ["🔔 Watch #1 (r/SaaS): 1 opportunity worth a look"]
    finally:
        await messenger.aclose()


async def test_closed_discord_dms_are_reported_in_the_channel(watches: Watches, discord_fake: FakeDiscord) -> None:
    settings = watches.settings.model_copy(
        update={"discord_token": SecretStr("discord-token"), "discord_api_base_url": discord_fake.base_url}
    )
    channel = discord_fake.add_channel(guild_id=555)
    dispatcher = await _dispatcher(watches, settings)
    messenger = dispatcher.messengers["discord"]
    assert isinstance(messenger, DiscordDirectMessenger)
    try:
        await messenger.send_dm("ws1", "4242", "hello")  # opens the DM channel
        (dm,) = discord_fake.dm_channels()
        discord_fake.forbidden_send.add(int(dm["id"]))  # the person closed DMs from the server
        message_id = await _queue(watches, "discord", "4242", channel["id"], None)
        assert (await dispatcher.dispatch_due()).undeliverable == [message_id]
        (report,) = discord_fake.channel_messages(int(channel["id"]))
        assert report["content"].startswith("<@4242> I couldn't send you this alert as a direct message")
        assert "50007" in ((await watches.outbox())[0].last_error or "")
    finally:
        await messenger.aclose()
