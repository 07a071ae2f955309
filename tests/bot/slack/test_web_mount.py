"""The Slack Events endpoint served by `oppscout web` itself, beside the REST API: signatures still checked."""

from __future__ import annotations

import json
import time

import httpx

from oppscout.bot.slack.app import build_slack_app, starlette_routes
from oppscout.bot.web.app import create_app
from oppscout.core.settings import Settings
from oppscout.runtime import Runtime, build_chat
from tests.bot.slack.conftest import SIGNING_SECRET, sign, slack_settings
from tests.fakes.slack_server import FakeSlack


async def test_the_web_app_serves_signed_slack_events_and_refuses_unsigned_ones(
    settings: Settings, fake_slack: FakeSlack
) -> None:
    configured = slack_settings(settings, fake_slack)
    runtime = await Runtime.open(configured)
    try:
        slack = build_slack_app(configured, runtime, build_chat(runtime, voice=False))
        app = create_app(runtime, extra_routes=starlette_routes(slack, configured))
        body = json.dumps(
            {"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
        )
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(SIGNING_SECRET, timestamp, body),
        }
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            answered = await client.post(configured.slack_events_path, content=body, headers=headers)
            forged = await client.post(
                configured.slack_events_path, content=body, headers={**headers, "X-Slack-Signature": "v0=forged"}
            )
            health = await client.get("/api/v1/health")
        assert answered.status_code == 200
        assert answered.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
        assert forged.status_code == 401
        assert health.status_code in (200, 503)  # the REST API is served by the same app
    finally:
        await runtime.close()
