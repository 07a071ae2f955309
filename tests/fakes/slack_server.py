"""A fake Slack Web API on 127.0.0.1 that speaks the real wire protocol to slack_sdk's AsyncWebClient.

It answers the methods the app uses (auth.test, chat.postMessage/update/postEphemeral,
conversations.open, files.getUploadURLExternal + the upload URL + files.completeUploadExternal,
views.publish/open), checks the bot token on every call, validates Block Kit limits as Slack does
(``invalid_blocks``), and serves private file downloads that need the bot token (without it, like
Slack, it answers with an HTML sign-in page). Every call is recorded for assertions.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

BOT_USER = "UBOT"
TEAM = "T0001"
MAX_BLOCKS = 50
MAX_TEXT = 3000


@dataclass
class Call:
    """One Web API call as the fake received it."""

    method: str
    args: dict[str, Any]
    token: str | None


@dataclass
class FakeSlack:
    """The fake's state: recorded calls, posted messages, uploaded files, and switches for failures."""

    token: str
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    downloads: list[str | None] = field(default_factory=list)
    not_in_channel: set[str] = field(default_factory=set)
    app_token: str = "xapp-test-token"
    client_id: str = "1111.2222"
    client_secret: str = "oauth-client-secret"
    installed: dict[str, str] = field(default_factory=dict)
    rate_limited: dict[str, int] = field(default_factory=dict)
    missing_scopes: dict[str, str] = field(default_factory=dict)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    base_url: str = ""
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def of(self, method: str) -> list[Call]:
        """The recorded calls of one method, in order."""
        return [c for c in self.calls if c.method == method]

    def api_url(self) -> str:
        """The base URL to give AsyncWebClient."""
        return f"{self.base_url}/api/"

    def file_url(self, name: str) -> str:
        """The private download URL of a file added with ``add_file``."""
        return f"{self.base_url}/files-pri/{TEAM}-F{name}/{name}"

    def add_file(self, name: str, data: bytes, mimetype: str) -> str:
        """Make a file downloadable (with the bot token) and return its url_private_download."""
        self.files[name] = (data, mimetype)
        return self.file_url(name)

    async def wait_for(self, condition: Callable[[FakeSlack], bool], timeout: float = 20.0) -> None:
        """Wait until ``condition`` holds for the recorded calls; fail with the calls seen otherwise."""

        async def loop() -> None:
            while not condition(self):
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(loop(), timeout)
        except TimeoutError as error:
            seen = [(c.method, c.args.get("text", "")) for c in self.calls]
            raise AssertionError(f"condition not met; calls were: {seen}") from error

    # -- the HTTP side -----------------------------------------------------------------------------

    async def _args(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            args = dict(await request.json())
        else:
            args = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
            args.update(request.query)
        for key in ("blocks", "view", "files"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        args = await self._args(request)
        if token is None and "token" in args:
            token = str(args.pop("token"))
        self.calls.append(Call(method, args, token))
        self._changed.set()
        if method == "oauth.v2.access":
            return web.json_response(self._oauth_v2_access(args, request.headers.get("Authorization", "")))
        # Socket Mode's connection call is the one method that takes the app-level token.
        expected = {self.app_token} if method == "apps.connections.open" else {self.token, *self.installed}
        if token not in expected:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method in self.missing_scopes:
            return web.json_response({"ok": False, "error": "missing_scope", "needed": self.missing_scopes[method]})
        if self.rate_limited.get(method, 0) > 0:
            self.rate_limited[method] -= 1
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "0"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        result: dict[str, Any] = handler({**args, "_token": token})
        return web.json_response(result)

    def _blocks_error(self, blocks: list[dict[str, Any]] | None) -> dict[str, Any] | None:
        if blocks is None:
            return None
        if len(blocks) > MAX_BLOCKS:
            return {"ok": False, "error": "invalid_blocks", "errors": ["must contain no more than 50 items"]}
        for block in blocks:
            texts = [block.get("text") or {}]
            texts += [e for e in block.get("elements", []) if isinstance(e, dict) and "text" in e]
            for text in texts:
                value = text.get("text") if isinstance(text, dict) else None
                if isinstance(value, str) and len(value) > MAX_TEXT:
                    return {"ok": False, "error": "invalid_blocks", "errors": ["must be less than 3001 characters"]}
        return None

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        team = self.installed.get(str(args.get("_token")), TEAM)
        suffix = "" if team == TEAM else team
        return {"ok": True, "url": "https://fake.slack.com/", "team": "Fake", "user": "scout", "team_id": team,
                "user_id": BOT_USER + suffix, "bot_id": "BBOT" + suffix, "is_enterprise_install": False}  # fmt: skip

    def _oauth_v2_access(self, args: dict[str, Any], authorization: str) -> dict[str, Any]:
        """Exchange an install's code for a bot token; the client authenticates with HTTP Basic auth."""
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if authorization != f"Basic {expected}":
            return {"ok": False, "error": "invalid_client_id"}
        code = str(args.get("code", ""))
        if not code.startswith("code-"):
            return {"ok": False, "error": "invalid_code"}
        team = code.removeprefix("code-")
        token = f"xoxb-{team}-token"
        self.installed[token] = team
        return {"ok": True, "access_token": token, "token_type": "bot", "scope": "chat:write,commands",
                "bot_user_id": BOT_USER + team, "app_id": "A0001", "team": {"name": f"Team {team}", "id": team},
                "enterprise": None, "authed_user": {"id": "UINSTALLER"}, "is_enterprise_install": False}  # fmt: skip

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.base_url.replace("http://", "ws://") + "/link"}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel"))
        if channel in self.not_in_channel:
            return {"ok": False, "error": "not_in_channel"}
        error = self._blocks_error(args.get("blocks"))
        if error:
            return error
        ts = self._next_ts()
        message = {"ts": ts, "channel": channel, "text": args.get("text", ""), "blocks": args.get("blocks"),
                   "thread_ts": args.get("thread_ts"), "edits": 0}  # fmt: skip
        self.messages[ts] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": {"text": message["text"], "ts": ts}}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = str(args.get("ts"))
        if ts not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        error = self._blocks_error(args.get("blocks"))
        if error:
            return error
        message = self.messages[ts]
        message["text"] = args.get("text", message["text"])
        if "blocks" in args:
            message["blocks"] = args["blocks"]
        message["edits"] += 1
        return {"ok": True, "channel": args.get("channel"), "ts": ts, "text": message["text"]}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if str(args.get("channel")) in self.not_in_channel:
            return {"ok": False, "error": "not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": "D" + str(args.get("users", "")).split(",")[0]}}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view") or {}
        if len(view.get("blocks", [])) > 100:
            return {"ok": False, "error": "invalid_blocks"}
        return {"ok": True, "view": {"id": "VHOME", **view}}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": "VMODAL", "hash": "h1", **(args.get("view") or {})}}

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ts):05d}"
        self.uploads[file_id] = b""
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files") or []
        missing = [f["id"] for f in files if not self.uploads.get(f["id"])]
        if missing:
            return {"ok": False, "error": "file_upload_not_completed"}
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}

    async def upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if file_id not in self.uploads:
            return web.Response(status=404)
        self.uploads[file_id] = await request.read()
        self._changed.set()
        return web.Response(text=f"OK - {len(self.uploads[file_id])}")

    async def download(self, request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization")
        self.downloads.append(auth)
        self._changed.set()
        name = request.match_info["name"]
        if auth != f"Bearer {self.token}" or name not in self.files:
            # Slack answers an unauthenticated file URL with its sign-in page, not an error code.
            return web.Response(text="<html><body>Sign in to Slack</body></html>", content_type="text/html")
        data, mimetype = self.files[name]
        return web.Response(body=data, content_type=mimetype)

    async def link(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, then record every acknowledgement the app sends back."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        self._changed.set()
        await socket.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0001"}})
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
                self._changed.set()
        return socket

    async def push(self, envelope: dict[str, Any]) -> None:
        """Send a Socket Mode envelope to the connected app."""
        await self.sockets[-1].send_json(envelope)

    def web_app(self) -> web.Application:
        """The aiohttp application of the fake."""
        app = web.Application()
        app.router.add_post("/api/{method}", self.api)
        app.router.add_get("/api/{method}", self.api)
        app.router.add_post("/upload/{file_id}", self.upload)
        app.router.add_get("/files-pri/{team_file}/{name}", self.download)
        app.router.add_get("/link", self.link)
        return app


async def start_fake_slack(token: str) -> tuple[FakeSlack, web.AppRunner]:
    """Start the fake on a free port of 127.0.0.1; stop it with ``runner.cleanup()``."""
    fake = FakeSlack(token=token)
    runner = web.AppRunner(fake.web_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    fake.base_url = f"http://127.0.0.1:{port}"
    return fake, runner
