"""Discord's rules kept: private answers deferred privately, autocomplete within 100 characters, buttons
only for the asker, readable report names, a configurable gateway and start-up retries with backoff."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from oppscout.bot.discord.app import use_gateway
from oppscout.bot.discord.runner import build_bot, connect_with_retries
from oppscout.bot.render.text import report_filename
from oppscout.core.contract import AnalysisRequest, Coverage, OpportunityResults, TimeRange, utcnow
from oppscout.core.conversation.chat import ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.runtime import Runtime
from tests.bot.discord.conftest import GUILD_ID, OTHER_USER_ID, Gateway
from tests.bot.discord.helpers import custom_ids, with_button

EPHEMERAL = 64


async def test_status_with_nothing_to_report_is_deferred_and_answered_privately(gateway: Gateway) -> None:
    server = gateway.server
    payload = await gateway.command("scout-status")
    callback = (await server.wait_for(lambda: server.callbacks(str(payload["token"]))))[0]
    assert callback["type"] == 5 and callback["data"]["flags"] & EPHEMERAL  # a private "thinking…"
    await gateway.settle()
    followups = server.calls("POST", f"/webhooks/900000000000000002/{payload['token']}")
    assert followups and all(int(f.json.get("flags", 0)) & EPHEMERAL for f in followups)
    assert "no analysis here yet" in followups[0].json["content"]


async def test_subreddit_autocomplete_never_offers_a_choice_over_100_characters(gateway: Gateway) -> None:
    names = [f"averyveryverylongsub{n}" for n in range(10)]  # 21 characters, Reddit's longest
    now = utcnow()
    request = AnalysisRequest(subreddits=names, time_range=TimeRange(start=now - timedelta(days=7), end=now),
                              max_cost=Decimal("0"))  # fmt: skip
    ref = ThreadRef("discord", str(GUILD_ID), "1", "1", str(OTHER_USER_ID))
    await gateway.runtime.service.submit(request, thread=ref)
    typed = ", ".join(names[:3]) + ", averyvery"
    payload = gateway.server.interaction(
        4, {"id": "1", "name": "scout-scan", "type": 1,
            "options": [{"name": "subreddits", "type": 3, "value": typed, "focused": True}]},
        channel=gateway.channel, user_id=OTHER_USER_ID, guild_id=GUILD_ID,
    )  # fmt: skip
    await gateway.dispatch("INTERACTION_CREATE", payload)
    callback = (await gateway.server.wait_for(lambda: gateway.server.callbacks(payload["token"])))[0]
    choices = callback["data"]["choices"]
    assert choices  # the short ones are still offered
    assert len(choices) <= 25
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)


async def test_only_the_asker_can_press_run_and_others_are_told_privately(gateway: Gateway) -> None:
    server = gateway.server
    await gateway.command("scout", {"request": "r/smallbusiness about invoicing, budget $5"})
    question = (await server.wait_for(lambda: with_button(server, "oppscout:confirm:run")))[0]
    run_id = next(i for i in custom_ids(question) if ":run:" in i)
    click = await gateway.click(question, run_id, user_id=OTHER_USER_ID)
    await gateway.settle()
    (answer,) = server.callbacks(click["token"])
    assert answer["type"] == 4 and answer["data"]["flags"] & EPHEMERAL
    assert "request: only they can run, edit or cancel it" in answer["data"]["content"]
    assert custom_ids(server.messages[int(question["id"])])  # the asker's buttons are still there
    async with gateway.runtime.database.unit_of_work() as session:
        assert await AnalysisRepository(session).list_recent(limit=5) == []


def test_the_report_is_named_by_what_was_read_and_when() -> None:
    end = datetime(2026, 12, 3, 18, tzinfo=UTC)
    results = OpportunityResults(coverage=Coverage(subreddits=["freelance"], window_end=end))
    assert report_filename(results) == "opportunities-r-freelance-2026-12-03.md"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_start_up_waits_out_an_unreachable_gateway_with_capped_pauses(discord_runtime: Runtime) -> None:
    # A bot logged in over REST that has never reached a gateway.
    bot = build_bot(
        discord_runtime,
        ChatService(discord_runtime.database, discord_runtime.service, Dialog(discord_runtime.settings)),
    )
    await bot.login("test-token")
    port = closed_port()
    default = DiscordWebSocket.DEFAULT_GATEWAY
    use_gateway(f"ws://127.0.0.1:{port}/")
    assert yarl.URL(f"ws://127.0.0.1:{port}/") == DiscordWebSocket.DEFAULT_GATEWAY
    pauses: list[float] = []

    class GaveUp(Exception):
        pass

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 4:
            raise GaveUp

    try:
        # The fake REST API answers /gateway/bot; the WebSocket itself is refused, as when Discord is unreachable.
        with pytest.raises(GaveUp):
            await connect_with_retries(bot, max_delay=3.0, sleep=sleep)
        assert not isinstance(bot.ws, discord.gateway.DiscordWebSocket)  # never connected
    finally:
        DiscordWebSocket.DEFAULT_GATEWAY = default
        await bot.close()
    assert len(pauses) == 4 and all(0 <= p <= 3.0 for p in pauses)
