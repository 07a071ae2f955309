"""A fake Discord REST API on 127.0.0.1 that discord.py talks to through ``discord.http.Route.BASE``.

It speaks the real wire format for the routes the bot uses (login, application info, command
sync, interaction callbacks and webhooks, channel messages with attachments, threads, DMs and
attachment downloads), records every request, and can refuse thread creation or sending in a
channel with Discord's own 403 body, so permission fallbacks are tested against real errors.
Gateway payloads that tests feed to discord.py's parsers come from ``discord_gateway``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.discord_gateway import (
    APPLICATION_ID,
    BOT_USER_ID,
    CANNOT_DM,
    MISSING_PERMISSIONS,
    GatewayPayloads,
    now_iso,
    user,
)

BODY: web.RequestKey[Any] = web.RequestKey("body", dict)
FILES: web.RequestKey[dict[str, bytes]] = web.RequestKey("files", dict)


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py parses a body as JSON only when Content-Type is exactly application/json (no charset).
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})


@dataclass
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    json: Any = None
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = field(default_factory=time.perf_counter)


class FakeDiscord(GatewayPayloads):
    """The fake REST server and the state it keeps (messages, channels, interactions)."""

    def __init__(self) -> None:
        self._ids = itertools.count(1_100_000_000_000_000_000)
        self.requests: list[Recorded] = []
        self.messages: dict[int, dict[str, Any]] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.interactions: dict[str, dict[str, Any]] = {}  # token -> callback state
        self.attachments: dict[str, bytes] = {}
        self.forbidden_threads: set[int] = set()
        self.forbidden_send: set[int] = set()
        self.commands: list[dict[str, Any]] = []
        self.token: str | None = None  # when set, only this bot token logs in
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Event()

    # ---- server lifecycle -------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        """Listen on ``port`` of 127.0.0.1 (a free one by default); returns the API base URL for ``Route.BASE``."""
        app = web.Application(middlewares=[self._record])
        r = app.router
        r.add_get("/api/v10/users/@me", self._me)
        r.add_get("/api/v10/oauth2/applications/@me", self._application)
        r.add_put("/api/v10/applications/{app}/commands", self._sync_commands)
        r.add_post("/api/v10/interactions/{iid}/{token}/callback", self._callback)
        r.add_get("/api/v10/webhooks/{app}/{token}/messages/@original", self._get_original)
        r.add_patch("/api/v10/webhooks/{app}/{token}/messages/@original", self._edit_original)
        r.add_post("/api/v10/webhooks/{app}/{token}", self._followup)
        r.add_post("/api/v10/channels/{cid}/messages", self._send)
        r.add_patch("/api/v10/channels/{cid}/messages/{mid}", self._edit)
        r.add_delete("/api/v10/channels/{cid}/messages/{mid}", self._delete)
        r.add_post("/api/v10/channels/{cid}/messages/{mid}/threads", self._thread_from_message)
        r.add_post("/api/v10/channels/{cid}/typing", self._typing)
        r.add_post("/api/v10/users/@me/channels", self._open_dm)
        r.add_get("/attachments/{name}", self._attachment)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.root = f"http://127.0.0.1:{port}"
        self.base_url = f"{self.root}/api/v10"
        return self.base_url

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _record(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        body: Any = None
        files: dict[str, bytes] = {}
        if request.content_type == "application/json" and request.can_read_body:
            body = await request.json()
        elif request.content_type == "multipart/form-data":
            form = await request.post()
            for name, value in form.items():
                if name == "payload_json":
                    body = json.loads(str(value))
                elif isinstance(value, web.FileField):
                    files[value.filename] = value.file.read()
        request[BODY], request[FILES] = body, files
        self.requests.append(Recorded(request.method, request.path, body, files))
        response: web.StreamResponse = await handler(request)
        self._changed.set()
        return response

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 15) -> Any:
        """Wait until ``predicate()`` is truthy (checked after every request); returns its value."""
        async with asyncio.timeout(timeout):
            while True:
                value = predicate()
                if value:
                    return value
                self._changed.clear()
                try:
                    await asyncio.wait_for(self._changed.wait(), 0.2)
                except TimeoutError:
                    continue

    # ---- queries for tests -----------------------------------------------------------------

    def calls(self, method: str, fragment: str) -> list[Recorded]:
        """Requests with ``method`` whose path contains ``fragment``."""
        return [r for r in self.requests if r.method == method and fragment in r.path]

    def channel_messages(self, channel_id: int) -> list[dict[str, Any]]:
        """Messages now in a channel, oldest first (edits applied)."""
        return [m for m in self.messages.values() if int(m["channel_id"]) == channel_id]

    def threads(self) -> list[dict[str, Any]]:
        """Threads the bot created."""
        return [c for c in self.channels.values() if c["type"] in (11, 12)]

    def dm_channels(self) -> list[dict[str, Any]]:
        """DM channels the bot opened."""
        return [c for c in self.channels.values() if c["type"] == 1]

    def callbacks(self, token: str) -> list[dict[str, Any]]:
        """Interaction callbacks (acknowledgements) Discord accepted for one interaction token."""
        return list(self.interactions.get(token, {}).get("accepted", []))

    # ---- handlers ---------------------------------------------------------------------------

    async def _me(self, request: web.Request) -> web.Response:
        if self.token is not None and request.headers.get("Authorization") != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        return _json(user(BOT_USER_ID, "scout", bot=True))

    async def _application(self, request: web.Request) -> web.Response:
        return _json(
            {
                "id": str(APPLICATION_ID),
                "name": "Opportunity Scout",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": user(1, "owner"),
                "verify_key": "0" * 64,
                "flags": 0,
            }
        )

    async def _sync_commands(self, request: web.Request) -> web.Response:
        self.commands = [
            {**c, "id": str(self.snowflake()), "application_id": str(APPLICATION_ID), "version": "1"}
            for c in request[BODY]
        ]
        return _json(self.commands)

    def _message(self, channel_id: int, body: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        message_id = self.snowflake()
        message = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "author": user(BOT_USER_ID, "scout", bot=True),
            "content": body.get("content") or "",
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                {"id": str(self.snowflake()), "filename": name, "size": len(data), "url": "", "proxy_url": ""}
                for name, data in files.items()
            ],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": body.get("flags", 0),
            "files": files,
        }
        self.messages[message_id] = message
        return message

    def _apply_edit(self, message: dict[str, Any], body: dict[str, Any], files: dict[str, bytes]) -> None:
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        if files:
            message["files"] = {**message["files"], **files}
        message["edited_timestamp"] = now_iso()

    async def _callback(self, request: web.Request) -> web.Response:
        token, body = request.match_info["token"], request[BODY] or {}
        state = self.interactions.setdefault(token, {"channel_id": 0, "original": None})
        if state.get("accepted"):
            # Discord accepts one response per interaction; a second one is refused like this.
            return _json({"message": "Interaction has already been acknowledged.", "code": 40060}, status=400)
        state["accepted"] = [body]
        kind = body.get("type")
        data = body.get("data") or {}
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 5):
            flags = data.get("flags", 0) | (128 if kind == 5 else 0)
            original = self._message(state["channel_id"], {**data, "flags": flags}, request[FILES])
            state["original"] = int(original["id"])
            resource["message"] = self._public(original)
        elif kind == 7 and state.get("message_id"):
            target = self.messages[state["message_id"]]
            self._apply_edit(target, data, request[FILES])
            resource["message"] = self._public(target)
        interaction = {
            "id": request.match_info["iid"],
            "type": state.get("type", 2),
            "response_message_id": str(state["original"]) if state.get("original") else None,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
        }
        return _json({"interaction": interaction, "resource": resource})

    def _original(self, token: str) -> dict[str, Any] | None:
        state = self.interactions.get(token)
        if not state or not state.get("original"):
            return None
        return self.messages[state["original"]]

    async def _get_original(self, request: web.Request) -> web.Response:
        original = self._original(request.match_info["token"])
        if original is None:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        return _json(self._public(original))

    async def _edit_original(self, request: web.Request) -> web.Response:
        original = self._original(request.match_info["token"])
        if original is None:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        self._apply_edit(original, request[BODY] or {}, request[FILES])
        original["flags"] = original.get("flags", 0) & ~128
        return _json(self._public(original))

    async def _followup(self, request: web.Request) -> web.Response:
        state = self.interactions.get(request.match_info["token"], {"channel_id": 0})
        message = self._message(state["channel_id"], request[BODY] or {}, request[FILES])
        return _json(self._public(message))

    async def _send(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["cid"])
        if channel_id in self.forbidden_send:
            body = CANNOT_DM if self.channels.get(channel_id, {}).get("type") == 1 else MISSING_PERMISSIONS
            return _json(body, status=403)
        message = self._message(channel_id, request[BODY] or {}, request[FILES])
        return _json(self._public(message))

    async def _edit(self, request: web.Request) -> web.Response:
        channel_id, message_id = int(request.match_info["cid"]), int(request.match_info["mid"])
        message = self.messages.get(message_id)
        if message is None or int(message["channel_id"]) != channel_id:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        if channel_id in self.forbidden_send:
            return _json(MISSING_PERMISSIONS, status=403)
        self._apply_edit(message, request[BODY] or {}, request[FILES])
        return _json(self._public(message))

    async def _delete(self, request: web.Request) -> web.Response:
        message = self.messages.get(int(request.match_info["mid"]))
        if message is None or int(message["channel_id"]) != int(request.match_info["cid"]):
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        del self.messages[int(message["id"])]
        return web.Response(status=204)

    async def _thread_from_message(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["cid"])
        if channel_id in self.forbidden_threads:
            return _json(MISSING_PERMISSIONS, status=403)
        parent = self.channels.get(channel_id, {})
        thread_id = int(request.match_info["mid"])  # Discord gives a thread the id of its starter message.
        thread = {
            "id": str(thread_id),
            "type": 11,
            "guild_id": parent.get("guild_id"),
            "parent_id": str(channel_id),
            "name": (request[BODY] or {}).get("name", "thread"),
            "owner_id": str(BOT_USER_ID),
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": (request[BODY] or {}).get("auto_archive_duration", 1440),
                "archive_timestamp": now_iso(),
                "locked": False,
            },
        }
        self.channels[thread_id] = thread
        return _json(thread, status=201)

    async def _typing(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _open_dm(self, request: web.Request) -> web.Response:
        recipient = int(request[BODY]["recipient_id"])
        for channel in self.dm_channels():
            if int(channel["recipients"][0]["id"]) == recipient:
                return _json(channel)
        channel_id = self.snowflake()
        channel = {"id": str(channel_id), "type": 1, "recipients": [user(recipient, f"user{recipient}")]}
        self.channels[channel_id] = channel
        return _json(channel)

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.attachments.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="audio/ogg")
