"""Socket Mode behaves as HTTP mode: the same message event and button press, delivered as Socket Mode
envelopes to slack-bolt's Socket Mode handler, give the user exactly the replies the HTTP endpoint gives."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from oppscout.bot.render.blockkit import RUN_ACTION
from oppscout.bot.slack.app import run_slack
from oppscout.core.conversation.chat import ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.core.settings import Settings
from oppscout.runtime import Runtime
from tests.bot.slack.conftest import BOT_TOKEN, click_payload, event_body, open_rig, slack_settings
from tests.fakes.slack_server import BOT_USER, FakeSlack, start_fake_slack

ROOT_TS = "1699999999.000100"
# Slack-encoded text: an escaped ampersand and a mention of the bot.
MENTION = {"type": "app_mention", "user": "UALICE", "channel": "CGENERAL", "ts": ROOT_TS,
           "text": f"<@{BOT_USER}> r/freelance about invoices &amp; late fees, last 7 days, budget $2"}  # fmt: skip

Send = Callable[[dict[str, Any]], Awaitable[None]]


def buttons(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]]


def seen(fake: FakeSlack) -> list[tuple[str, str, list[str]]]:
    """What the user sees, in order: each bot message's place (main box or thread), text and live buttons."""
    return [("thread" if m["thread_ts"] else "channel", m["text"], buttons(m)) for m in fake.messages.values()]


async def journey(fake: FakeSlack, event: Send, action: Send) -> list[tuple[str, str, list[str]]]:
    """Mention the bot with a request, press Run on its question, and wait for the queued analysis's thread."""
    await event(event_body(MENTION, event_id="Ev000001"))
    await fake.wait_for(lambda f: any(RUN_ACTION in buttons(m) for m in f.messages.values()))
    question = next(m for m in fake.messages.values() if RUN_ACTION in buttons(m))
    await action(click_payload(question, RUN_ACTION, "yes"))
    await fake.wait_for(lambda f: any(m["text"].startswith("⏳ queued") for m in f.messages.values()))
    await fake.wait_for(lambda f: not buttons(f.messages[question["ts"]]))
    return seen(fake)


@asynccontextmanager
async def socket_mode_bot(settings: Settings, fake: FakeSlack) -> AsyncIterator[None]:
    """`oppscout bot`'s Slack runner in Socket Mode, connected to the fake's Socket Mode WebSocket."""
    configured = slack_settings(settings, fake, slack_mode="socket", slack_app_token=SecretStr(fake.app_token))
    runtime = await Runtime.open(configured)
    bot = asyncio.create_task(run_slack(runtime, ChatService(runtime.database, runtime.service, Dialog(configured))))
    try:
        await fake.wait_for(lambda f: bool(f.sockets))
        yield
    finally:
        bot.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bot
        await runtime.close()


async def test_a_mention_and_a_run_click_over_socket_mode_answer_as_over_http(
    settings: Settings, tmp_path: Path
) -> None:
    # Each mode gets its own fake workspace, database and queue, so neither sees the other's analysis.
    over_http, http_runner = await start_fake_slack(BOT_TOKEN)
    try:
        async with open_rig(settings, over_http) as rig:

            async def post_event(body: dict[str, Any]) -> None:
                assert (await rig.send.send(json.dumps(body), "application/json")).status == 200

            async def post_action(payload: dict[str, Any]) -> None:
                assert (await rig.send.action(payload)).status == 200

            expected = await journey(over_http, post_event, post_action)
    finally:
        await http_runner.cleanup()

    socket_settings = settings.model_copy(
        update={"data_dir": tmp_path / "socket-mode", "queue_name": f"{settings.queue_name}:socket"}
    )
    over_socket, socket_runner = await start_fake_slack(BOT_TOKEN)
    try:
        async with socket_mode_bot(socket_settings, over_socket):
            envelopes = iter(range(1, 100))

            async def push(kind: str, payload: dict[str, Any]) -> None:
                envelope_id = f"env-{next(envelopes)}"
                await over_socket.push({"envelope_id": envelope_id, "type": kind, "payload": payload,
                                        "accepts_response_payload": False, "retry_attempt": 0})  # fmt: skip
                # Acknowledged over the socket, as Slack requires within 3 seconds.
                await over_socket.wait_for(lambda f: any(a["envelope_id"] == envelope_id for a in f.socket_acks))

            async def push_event(body: dict[str, Any]) -> None:
                await push("events_api", body)

            async def push_action(payload: dict[str, Any]) -> None:
                await push("interactive", payload)

            got = await journey(over_socket, push_event, push_action)
    finally:
        await socket_runner.cleanup()

    assert got == expected
    # The journey is the one a user expects: the Slack markup was decoded, Run started it, and the
    # question's buttons were retired.
    texts = [text for _, text, _ in got]
    assert any("invoices" in t and "&amp;" not in t for t in texts)
    assert any(t.startswith("Starting") for t in texts)
    assert sum(t.startswith("⏳ queued") for t in texts) == 1
