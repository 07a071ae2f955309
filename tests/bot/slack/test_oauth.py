"""Multi-workspace mode: install through OAuth, then each workspace is answered with its own bot token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html import unescape

import aiohttp
import pytest
from pydantic import SecretStr

from oppscout.bot.slack.app import SlackEndpoint, build_slack_app, build_slack_notifier, serve_http
from oppscout.bot.slack.workspaces import SlackWorkspaces
from oppscout.core.conversation.chat import ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.core.delivery import ThreadView
from oppscout.core.events import NoticeEvent
from oppscout.core.settings import Settings
from oppscout.runtime import Runtime
from tests.bot.slack.conftest import EVENTS_PATH, SlackSender, slack_settings
from tests.fakes.slack_server import FakeSlack


@pytest.fixture
async def oauth_app(settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[tuple[str, SlackSender, Settings]]:
    configured = slack_settings(
        settings,
        fake_slack,
        slack_bot_token=None,
        slack_client_id=fake_slack.client_id,
        slack_client_secret=SecretStr(fake_slack.client_secret),
    )
    runtime = await Runtime.open(configured)
    workspaces = SlackWorkspaces(configured, runtime.database.engine)
    await workspaces.prepare()
    app = build_slack_app(configured, runtime, ChatService(runtime.database, runtime.service, Dialog(configured)),
                          workspaces=workspaces)  # fmt: skip
    server = await serve_http(SlackEndpoint(app.bolt), "127.0.0.1", 0, EVENTS_PATH)
    base = f"http://127.0.0.1:{server.addresses[0][1]}"
    sender = SlackSender(base + EVENTS_PATH)
    yield base, sender, configured
    await sender.close()
    await server.cleanup()
    await runtime.close()


async def install(base: str, team: str) -> int:
    """Walk the Add to Slack flow as a browser does: install page, then Slack's redirect back with a code."""
    async with aiohttp.ClientSession() as browser:
        async with browser.get(base + "/slack/install") as page:
            html = unescape(await page.text())
            # The state cookie is Secure (HTTPS in production); a browser sends it back on the redirect.
            cookie = page.headers.getall("Set-Cookie", [""])[0].split(";")[0]
        state = re.search(r"state=([\w-]+)", html)
        assert state is not None, html
        assert "client_id=1111.2222" in html
        params = {"code": f"code-{team}", "state": state[1]}
        async with browser.get(base + "/slack/oauth_redirect", params=params, headers={"Cookie": cookie}) as done:
            return done.status


async def test_a_workspace_installed_through_oauth_is_answered_with_its_own_token(
    oauth_app: tuple[str, SlackSender, Settings], fake_slack: FakeSlack
) -> None:
    base, sender, settings = oauth_app
    assert await install(base, "T0002") == 200
    assert fake_slack.of("oauth.v2.access")
    await sender.event({"type": "app_mention", "user": "UDAN", "text": "<@UBOTT0002> help", "ts": "1699999999.000100",
                        "channel": "COTHER"}, team="T0002")  # fmt: skip
    await fake_slack.wait_for(lambda f: bool(f.of("chat.postMessage")))
    (reply,) = fake_slack.of("chat.postMessage")
    assert reply.token == "xoxb-T0002-token"
    assert reply.args["thread_ts"] == "1699999999.000100"
    # A worker process finds the same workspace's token for progress in that thread.
    notifier = build_slack_notifier(settings)
    view = ThreadView(1, "slack", "T0002", "COTHER", "1699999999.000100", "UDAN", None)
    await notifier.deliver(NoticeEvent(analysis_id="a1", message="Reddit is slow today"), view)
    assert fake_slack.of("chat.postMessage")[-1].token == "xoxb-T0002-token"


async def test_a_workspace_that_never_installed_gets_no_answer(
    oauth_app: tuple[str, SlackSender, Settings], fake_slack: FakeSlack
) -> None:
    _, sender, _ = oauth_app
    sent = await sender.event({"type": "app_mention", "user": "UEVE", "text": "<@UBOT> help", "ts": "1699999999.000200",
                               "channel": "CX"}, team="T0666")  # fmt: skip
    assert sent.status != 500
    assert fake_slack.of("chat.postMessage") == []
