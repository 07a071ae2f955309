"""Socket Mode: `oppscout bot`'s Slack runner connects over a WebSocket and answers envelopes."""

from __future__ import annotations

import asyncio
import contextlib

from pydantic import SecretStr

from oppscout.bot.slack.app import run_slack
from oppscout.core.conversation.chat import ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.core.settings import Settings
from oppscout.runtime import Runtime
from tests.bot.slack.conftest import slack_settings
from tests.fakes.slack_server import TEAM, FakeSlack


async def test_socket_mode_acknowledges_a_slash_command_and_starts_its_thread(
    settings: Settings, fake_slack: FakeSlack
) -> None:
    configured = slack_settings(
        settings, fake_slack, slack_mode="socket", slack_app_token=SecretStr(fake_slack.app_token)
    )
    runtime = await Runtime.open(configured)
    chat = ChatService(runtime.database, runtime.service, Dialog(configured))
    bot = asyncio.create_task(run_slack(runtime, chat))
    try:
        await fake_slack.wait_for(lambda f: bool(f.sockets))
        command = {"team_id": TEAM, "channel_id": "CGENERAL", "user_id": "UALICE", "command": "/scout",
                   "text": "r/smallbusiness about invoicing, last 14 days, budget $2", "trigger_id": "trig.sock.1",
                   "api_app_id": "A0001", "response_url": "http://127.0.0.1:9/unused"}  # fmt: skip
        await fake_slack.push({"envelope_id": "env-1", "type": "slash_commands", "payload": command,
                               "accepts_response_payload": True})  # fmt: skip
        await fake_slack.wait_for(lambda f: any("Run it?" in m["text"] for m in f.messages.values()))
        await fake_slack.wait_for(lambda f: bool(f.socket_acks))
        assert [a["envelope_id"] for a in fake_slack.socket_acks] == ["env-1"]
        root = fake_slack.of("chat.postMessage")[0].args
        assert root["channel"] == "CGENERAL"
        assert "<@UALICE>" in root["text"]
        assert fake_slack.of("apps.connections.open")[0].token == fake_slack.app_token
    finally:
        bot.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bot
        await runtime.close()
