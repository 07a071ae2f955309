"""The Slack app: a slack-bolt ``AsyncApp`` with every listener, served over HTTP or Socket Mode.

``build_slack_app`` wires the listeners; ``SlackEndpoint`` is the HTTP request handler (an aiohttp
handler that the web app can mount as a route, or served on its own by ``run_slack``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from oppscout.bot.slack.actions import register_actions
from oppscout.bot.slack.audio import AudioFetcher
from oppscout.bot.slack.conversation import SlackConversations
from oppscout.bot.slack.home import SlackHome, register_home
from oppscout.bot.slack.listeners import register_entry_points
from oppscout.bot.slack.notifier import SlackThreadNotifier
from oppscout.bot.slack.workspaces import SlackWorkspaces, slack_configured
from oppscout.core.conversation.chat import ChatService
from oppscout.core.errors import AppError
from oppscout.core.settings import Settings
from oppscout.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class SlackApp:
    """The Bolt app and the parts behind it."""

    bolt: AsyncApp
    conversations: SlackConversations
    home: SlackHome


def build_slack_app(
    settings: Settings, runtime: Runtime, chat: ChatService, *, workspaces: SlackWorkspaces | None = None
) -> SlackApp:
    """The Bolt app for ``settings``: signature checks on, the bot's own messages ignored, every listener attached."""
    if not slack_configured(settings):
        raise AppError(
            "Slack needs OPPSCOUT_SLACK_BOT_TOKEN (the xoxb- bot token from the app's install page), or "
            "OPPSCOUT_SLACK_CLIENT_ID and OPPSCOUT_SLACK_CLIENT_SECRET for multi-workspace installs."
        )
    if settings.slack_mode == "http" and settings.slack_signing_secret is None:
        raise AppError("Slack HTTP mode needs OPPSCOUT_SLACK_SIGNING_SECRET (Basic Information → Signing Secret).")
    workspaces = workspaces or SlackWorkspaces(settings, runtime.database.engine)
    client = workspaces.client
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    bolt = AsyncApp(
        client=client,
        signing_secret=secret,
        # Socket Mode requests carry no signature; Bolt skips verification for them by itself.
        request_verification_enabled=True,
        ignoring_self_events_enabled=True,
        process_before_response=False,
        name="oppscout",
        oauth_settings=workspaces.oauth_settings(),
    )
    fetcher = AudioFetcher(settings.slack_max_audio_bytes)
    conversations = SlackConversations(
        chat,
        runtime.service,
        runtime.database,
        workspaces,
        fetcher,
        queue_refresh_seconds=settings.slack_progress_update_seconds,
    )
    home = SlackHome(settings, runtime.database, workspaces)
    register_entry_points(bolt, conversations)
    register_actions(bolt, conversations)
    register_home(bolt, home)
    return SlackApp(bolt, conversations, home)


def build_slack_notifier(settings: Settings) -> SlackThreadNotifier:
    """The worker-side notifier that posts analysis events into Slack threads."""
    return SlackThreadNotifier(SlackWorkspaces(settings), min_update_interval=settings.slack_progress_update_seconds)


class SlackEndpoint:
    """The Events API / interactivity / slash command endpoint as an aiohttp handler (mountable)."""

    def __init__(
        self, bolt: AsyncApp, *, max_event_bytes: int = Settings.model_fields["slack_max_event_bytes"].default
    ) -> None:
        self.bolt = bolt
        self.max_event_bytes = max_event_bytes

    async def handle(self, request: web.Request) -> web.Response:
        """Verify, dispatch and answer one request from Slack."""
        response = await self.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def handle_oauth(self, request: web.Request) -> web.Response:
        """The Add to Slack page and the OAuth redirect (multi-workspace mode only)."""
        flow = self.bolt.oauth_flow
        if flow is None:
            return web.Response(status=404)
        bolt_request = await to_bolt_request(request)
        if request.path == flow.install_path:
            response = await flow.handle_installation(bolt_request)
        else:
            response = await flow.handle_callback(bolt_request)
        return await to_aiohttp_response(response)

    def web_app(self, path: str) -> web.Application:
        """A small aiohttp application: this endpoint at ``path`` (POST), OAuth pages when enabled, a health check."""
        # Slack sends messages of up to 40,000 characters, and the event repeats them in its blocks; escaped
        # as JSON (an emoji is 12 bytes) that can pass aiohttp's 1 MiB default, and a refused event is retried
        # by Slack and then dropped.
        app = web.Application(client_max_size=self.max_event_bytes)
        app.router.add_post(path, self.handle)
        flow = self.bolt.oauth_flow
        if flow is not None:
            app.router.add_get(flow.install_path, self.handle_oauth)
            app.router.add_get(flow.redirect_uri_path, self.handle_oauth)
        app.router.add_get("/healthz", self._health)
        return app

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})


def starlette_routes(app: SlackApp, settings: Settings) -> list[BaseRoute]:
    """The Slack endpoint (and OAuth pages when enabled) as routes to mount in the web app (HTTP mode)."""
    handler = AsyncSlackRequestHandler(app.bolt)

    async def endpoint(request: Request) -> Response:
        return await handler.handle(request)

    routes: list[BaseRoute] = [Route(settings.slack_events_path, endpoint, methods=["POST"])]
    flow = app.bolt.oauth_flow
    if flow is not None:
        routes += [Route(flow.install_path, endpoint, methods=["GET"]), Route(flow.redirect_uri_path, endpoint)]
    return routes


async def serve_http(endpoint: SlackEndpoint, host: str, port: int, path: str) -> web.AppRunner:
    """Start serving ``endpoint``; the caller cleans up the returned runner."""
    runner = web.AppRunner(endpoint.web_app(path), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def run_slack(runtime: Runtime, chat: ChatService) -> None:
    """``oppscout bot``'s Slack part: serve until cancelled, in the configured mode."""
    settings = runtime.settings
    workspaces = SlackWorkspaces(settings, runtime.database.engine)
    await workspaces.prepare()
    app = build_slack_app(settings, runtime, chat, workspaces=workspaces)
    if settings.slack_mode == "socket":
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        if settings.slack_app_token is None:
            raise AppError("Slack Socket Mode needs OPPSCOUT_SLACK_APP_TOKEN (an xapp- token with connections:write).")
        handler = AsyncSocketModeHandler(app.bolt, settings.slack_app_token.get_secret_value())
        log.info("Slack: Socket Mode")
        try:
            await handler.start_async()  # type: ignore[no-untyped-call]
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]
            await app.conversations.close()
        return
    runner = await serve_http(
        SlackEndpoint(app.bolt, max_event_bytes=settings.slack_max_event_bytes),
        settings.slack_host,
        settings.slack_port,
        settings.slack_events_path,
    )
    log.info("Slack: listening on %s:%s%s", settings.slack_host, settings.slack_port, settings.slack_events_path)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await app.conversations.close()
