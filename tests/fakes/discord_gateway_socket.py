"""A live Discord gateway on 127.0.0.1 that discord.py connects to over a real WebSocket.

It speaks the gateway protocol as discord.py's ``DiscordWebSocket`` expects it
(https://discord.com/developers/docs/topics/gateway): HELLO with a heartbeat interval, IDENTIFY
answered by READY (session id, ``resume_gateway_url``) and a GUILD_CREATE per server, heartbeats
acknowledged, dispatches numbered by ``s``, and RESUME after a dropped connection answered by the
missed dispatches and RESUMED. Frames are compressed as the client asked (``compress=zstd-stream``
or ``zlib-stream``), as Discord does.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import zlib
from dataclasses import dataclass, field
from typing import Any

import zstandard
from aiohttp import WSMsgType, web

from tests.fakes.discord_gateway import APPLICATION_ID, BOT_USER_ID, user

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, HELLO, HEARTBEAT_ACK = 0, 1, 2, 6, 10, 11


class _Compressor:
    """One connection's transport compression (a shared stream per connection, flushed per message)."""

    def __init__(self, kind: str | None) -> None:
        self.kind = kind
        self._zstd = zstandard.ZstdCompressor().compressobj() if kind == "zstd-stream" else None
        self._zlib = zlib.compressobj() if kind == "zlib-stream" else None

    async def send(self, socket: web.WebSocketResponse, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        if self._zstd is not None:
            await socket.send_bytes(self._zstd.compress(data) + self._zstd.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK))
        elif self._zlib is not None:
            await socket.send_bytes(self._zlib.compress(data) + self._zlib.flush(zlib.Z_SYNC_FLUSH))
        else:
            await socket.send_str(data.decode())


@dataclass
class _Session:
    session_id: str
    sequence: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class GatewayLog:
    """What the bot sent, by opcode, for tests to check the handshake."""

    received: list[dict[str, Any]] = field(default_factory=list)

    def ops(self, op: int) -> list[dict[str, Any]]:
        """The frames the bot sent with opcode ``op``."""
        return [frame for frame in self.received if frame.get("op") == op]


class FakeGateway:
    """The gateway WebSocket server; ``dispatch`` sends an event to the connected bot."""

    def __init__(self, guilds: list[dict[str, Any]], *, heartbeat_ms: int = 500) -> None:
        self.guilds = guilds
        self.heartbeat_ms = heartbeat_ms
        self.log = GatewayLog()
        self.session: _Session | None = None
        self.connections = 0
        self._socket: web.WebSocketResponse | None = None
        self._compressor: _Compressor | None = None
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        """Listen on a free port of 127.0.0.1; returns the ws:// URL for ``OPPSCOUT_DISCORD_GATEWAY_URL``."""
        app = web.Application()
        app.router.add_get("/", self._connect)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"ws://127.0.0.1:{port}/"
        return self.url

    async def stop(self) -> None:
        """Close the connection and stop listening."""
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for(self, predicate: Any, timeout: float = 15) -> Any:
        """Wait until ``predicate()`` is truthy (checked whenever the bot sends something)."""

        async def loop() -> Any:
            while not (result := predicate()):
                self._changed.clear()
                await self._changed.wait()
            return result

        return await asyncio.wait_for(loop(), timeout)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send one dispatch (``t``/``d``) with the next sequence number; kept for a RESUME to replay."""
        assert self.session is not None and self._socket is not None, "the bot is not connected"
        self.session.sequence += 1
        frame = {"op": DISPATCH, "t": event, "s": self.session.sequence, "d": data}
        self.session.sent.append(frame)
        assert self._compressor is not None
        await self._compressor.send(self._socket, frame)

    async def drop(self, code: int = 4000) -> None:
        """Close the connection as Discord does when it wants the client to reconnect and resume."""
        assert self._socket is not None
        await self._socket.close(code=code)

    async def _connect(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.connections += 1
        self._socket, self._compressor = socket, _Compressor(request.query.get("compress"))
        await self._compressor.send(socket, {"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_ms}})
        async for message in socket:
            if message.type is not WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            self.log.received.append(frame)
            await self._answer(frame)
            self._changed.set()
        self._changed.set()
        return socket

    async def _answer(self, frame: dict[str, Any]) -> None:
        assert self._socket is not None and self._compressor is not None
        op = frame.get("op")
        if op == HEARTBEAT:
            await self._compressor.send(self._socket, {"op": HEARTBEAT_ACK, "d": None})
        elif op == IDENTIFY:
            self.session = _Session(secrets.token_hex(16))
            await self.dispatch(
                "READY",
                {
                    "v": 10,
                    "user": user(BOT_USER_ID, "scout", bot=True),
                    "guilds": [{"id": g["id"], "unavailable": True} for g in self.guilds],
                    "session_id": self.session.session_id,
                    "resume_gateway_url": self.url,
                    "application": {"id": str(APPLICATION_ID), "flags": 0},
                },
            )
            for guild in self.guilds:
                await self.dispatch("GUILD_CREATE", guild)
        elif op == RESUME:
            data = frame["d"]
            assert self.session is not None and data["session_id"] == self.session.session_id
            missed = [f for f in self.session.sent if f["s"] > (data.get("seq") or 0)]
            for missed_frame in missed:
                await self._compressor.send(self._socket, missed_frame)
            await self.dispatch("RESUMED", {})
