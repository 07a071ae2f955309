"""Fixtures for the Slack app: the fake Web API, the real Bolt app served over HTTP, and signed requests."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from pydantic import SecretStr

from oppscout.bot.slack.app import SlackApp, SlackEndpoint, build_slack_app, serve_http
from oppscout.core.conversation.chat import ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.core.errors import VoiceError
from oppscout.core.ports import Transcript
from oppscout.core.settings import Settings
from oppscout.runtime import Runtime, build_chat
from tests.fakes.slack_server import TEAM, FakeSlack, start_fake_slack

BOT_TOKEN = "xoxb-test-token"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
EVENTS_PATH = "/slack/events"


class FakeTranscriber:
    """The Transcriber port: returns a fixed transcript for audio it was told about (the real one is Whisper)."""

    def __init__(self) -> None:
        self.heard: dict[bytes, str] = {}
        self.received: list[tuple[bytes, str]] = []

    async def transcribe(self, audio: bytes, *, filename: str = "", hotwords: Sequence[str] = ()) -> Transcript:
        self.received.append((audio, filename))
        if audio not in self.heard:
            raise VoiceError("I couldn't make out any speech in that clip.")
        return Transcript(text=self.heard[audio], duration=3.0)


def sign(secret: str, timestamp: str, body: str) -> str:
    """Slack's request signature: v0= HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


def event_body(event: dict[str, Any], *, event_id: str, team: str = TEAM) -> dict[str, Any]:
    """The Events API envelope Slack wraps an event in (the HTTP body, or a Socket Mode envelope's payload)."""
    return {
        "token": "legacy",
        "team_id": team,
        "api_app_id": "A0001",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
    }


def click_payload(
    message: dict[str, Any], action_id: str, value: str, *, user: str = "UALICE", trigger: str = "trigger.click"
) -> dict[str, Any]:
    """The block_actions payload of a button pressed on a message the bot posted (as recorded by the fake)."""
    return {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "fake"},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A0001",
        "trigger_id": trigger,
        "channel": {"id": message["channel"]},
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": message["channel"]},
        "message": {
            "ts": message["ts"],
            "thread_ts": message.get("thread_ts"),
            "text": message["text"],
            "blocks": message["blocks"],
        },
        "actions": [{"action_id": action_id, "block_id": "b", "value": value, "type": "button"}],
    }


@dataclass
class Sent:
    """Slack's view of one request it sent: status and body of the answer."""

    status: int
    body: str


class SlackSender:
    """Sends signed requests to the Bolt app as Slack does (events, slash commands, interactivity)."""

    def __init__(self, url: str, secret: str = SIGNING_SECRET) -> None:
        self.url = url
        self.secret = secret
        self.ids = itertools.count(1)
        self.session = aiohttp.ClientSession()

    async def send(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        retry_num: int | None = None,
    ) -> Sent:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature if signature is not None else sign(self.secret, ts, body),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            return Sent(response.status, await response.text())

    async def command(self, text: str, *, user: str = "UALICE", channel: str = "CGENERAL", **kw: Any) -> Sent:
        n = next(self.ids)
        form = {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/scout",
            "text": text,
            "api_app_id": "A0001",
            "response_url": "http://127.0.0.1:9/unused",
            "trigger_id": f"trigger.{n}",
        }
        return await self.send(urlencode(form), "application/x-www-form-urlencoded", **kw)

    async def event(self, event: dict[str, Any], *, event_id: str | None = None, team: str = TEAM, **kw: Any) -> Sent:
        body = event_body(event, event_id=event_id or f"Ev{next(self.ids):06d}", team=team)
        return await self.send(json.dumps(body), "application/json", **kw)

    async def action(self, payload: dict[str, Any], **kw: Any) -> Sent:
        return await self.send(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", **kw)

    async def click(self, message: dict[str, Any], action_id: str, value: str, *, user: str = "UALICE") -> Sent:
        """Press a button on a message the bot posted (as recorded by the fake)."""
        payload = click_payload(message, action_id, value, user=user, trigger=f"trigger.click.{next(self.ids)}")
        return await self.action(payload)

    async def close(self) -> None:
        await self.session.close()


@dataclass
class SlackRig:
    """Everything a Slack test needs."""

    fake: FakeSlack
    send: SlackSender
    app: SlackApp
    runtime: Runtime
    transcriber: FakeTranscriber
    settings: Settings

    def thread_messages(self, thread_ts: str) -> list[dict[str, Any]]:
        """The bot's messages in one thread, oldest first."""
        return [m for m in self.fake.messages.values() if m["thread_ts"] == thread_ts]

    def texts(self, thread_ts: str) -> list[str]:
        return [m["text"] for m in self.thread_messages(thread_ts)]

    def dm_messages(self, channel: str) -> list[dict[str, Any]]:
        """The bot's messages in a DM's main box (not in a thread), oldest first."""
        return [m for m in self.fake.messages.values() if m["channel"] == channel and m["thread_ts"] is None]

    def dm_texts(self, channel: str) -> list[str]:
        return [m["text"] for m in self.dm_messages(channel)]


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake, runner = await start_fake_slack(BOT_TOKEN)
    yield fake
    await runner.cleanup()


def slack_settings(settings: Settings, fake: FakeSlack, **extra: Any) -> Settings:
    return settings.model_copy(
        update={
            "slack_bot_token": SecretStr(BOT_TOKEN),
            "slack_signing_secret": SecretStr(SIGNING_SECRET),
            "slack_api_base_url": fake.api_url(),
            "slack_progress_update_seconds": 3600.0,
            "auto_approve_usd": Decimal("1"),
            **extra,
        }
    )


@asynccontextmanager
async def open_rig(
    settings: Settings, fake: FakeSlack, *, with_watches: bool = False, **extra: Any
) -> AsyncIterator[SlackRig]:
    """The real Bolt app on a free port of 127.0.0.1, talking to ``fake``, with its own runtime.

    ``with_watches``: the chat as `oppscout bot` builds it (watches, email, spend caps), without voice.
    """
    configured = slack_settings(settings, fake, **extra)
    runtime = await Runtime.open(configured)
    transcriber = FakeTranscriber()
    chat = (
        build_chat(runtime, voice=False)
        if with_watches
        else ChatService(runtime.database, runtime.service, Dialog(configured), transcriber)
    )
    app = build_slack_app(configured, runtime, chat)
    server = await serve_http(SlackEndpoint(app.bolt), "127.0.0.1", 0, EVENTS_PATH)
    port = server.addresses[0][1]
    sender = SlackSender(f"http://127.0.0.1:{port}{EVENTS_PATH}")
    try:
        yield SlackRig(fake, sender, app, runtime, transcriber, configured)
    finally:
        await sender.close()
        await server.cleanup()
        await app.conversations.close()
        await runtime.close()


@pytest.fixture
async def rig(settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[SlackRig]:
    async with open_rig(settings, fake_slack) as opened:
        yield opened
