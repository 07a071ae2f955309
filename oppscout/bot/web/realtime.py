"""Realtime updates over Socket.IO: authenticated clients follow analyses of their own workspace.

Workers publish every event on Redis pub/sub; each web process holds one pattern subscription and
re-emits the events to the clients connected to it, so any number of web processes can run behind
a load balancer. Cost events go out as ``cost-{id}``, every other event as ``analysis-{id}``.

By the contract, a client connects with ``auth={"token": ...}`` and listens; nothing else. So a
connection joins its workspace's room when it connects, and every event of every analysis of that
workspace reaches it, from the first one on (it was in the room before the analysis existed).
Each event arrives stamped with its analysis's workspace (see ``jobs/event_bus.py``), so routing it
costs no database read; only an event without the stamp is routed by looking the analysis up.
``subscribe`` stays for catch-up: its answer is the analysis's state now. ``unsubscribe`` mutes one
analysis for that connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import socketio  # type: ignore[import-untyped]  # python-socketio ships no type information
from pydantic import ValidationError
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from oppscout.bot.web.auth import workspace_for_token
from oppscout.bot.web.health import HealthMonitor
from oppscout.bot.web.metrics import WebMetrics
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.errors import NotFoundError
from oppscout.core.events import AnalysisEvent, CostEvent
from oppscout.core.health import Component, ComponentHealth, ComponentState, notices_for
from oppscout.jobs.event_bus import EventSubscription
from oppscout.runtime import Runtime

log = logging.getLogger(__name__)

MAX_FOLLOWED = 100
MAX_ID_LENGTH = 64
UNAVAILABLE = "The database is unavailable right now; please try again shortly."
RECONNECT_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)
# Analysis → workspace for events published without their workspace (the fallback lookup), remembered
# so such an event costs a database read only for its analysis's first one.
WORKSPACE_CACHE_SIZE = 10_000


def room_for(analysis_id: str) -> str:
    """The Socket.IO room of the clients following one analysis explicitly."""
    return "analysis:" + analysis_id


def workspace_room(workspace_id: str) -> str:
    """The Socket.IO room every authenticated connection of a workspace is in."""
    return "workspace:" + workspace_id


def event_name(event: AnalysisEvent) -> str:
    """The Socket.IO event name a client listens to for this event."""
    prefix = "cost" if isinstance(event, CostEvent) else "analysis"
    return f"{prefix}-{event.analysis_id}"


class RealtimeRelay:
    """The Socket.IO server and the Redis → Socket.IO relay of one web process."""

    def __init__(self, runtime: Runtime, metrics: WebMetrics, health: HealthMonitor) -> None:
        self.runtime = runtime
        self.metrics = metrics
        self.health = health
        settings = runtime.settings
        # None = same origin only; an empty list would switch python-engineio's origin check off entirely.
        origins: list[str] | None = list(settings.web_cors_origins) or None
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            cors_allowed_origins=origins,
            max_http_buffer_size=settings.web_max_body_bytes,
            logger=False,
            engineio_logger=False,
        )
        self.sio.on("connect", self._connect)
        self.sio.on("disconnect", self._disconnect)
        self.sio.on("subscribe", self._subscribe)
        self.sio.on("unsubscribe", self._unsubscribe)
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        self.clients = 0
        self._workspaces: OrderedDict[str, str] = OrderedDict()
        # analysis id → connections that unsubscribed from it (they stay in their workspace's room).
        self._muted: dict[str, set[str]] = {}

    # -- clients -------------------------------------------------------------------------------

    async def _connect(self, sid: str, environ: Mapping[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            workspace = await workspace_for_token(self.runtime.database, token) if isinstance(token, str) else None
        except SQLAlchemyError as error:
            raise socketio.exceptions.ConnectionRefusedError(UNAVAILABLE) from error
        if workspace is None:
            raise socketio.exceptions.ConnectionRefusedError(
                "A valid API token is required: connect with auth={'token': '<token>'}."
            )
        await self.sio.save_session(sid, {"workspace": workspace, "following": set()})
        await self.sio.enter_room(sid, workspace_room(workspace))
        self.clients += 1
        self.metrics.realtime_clients.set(self.clients)
        # Clients may name the analyses to follow right in the handshake.
        wanted = auth.get("analyses") if isinstance(auth, dict) else None
        if isinstance(wanted, list):
            for analysis_id in wanted[:MAX_FOLLOWED]:
                if isinstance(analysis_id, str):
                    await self._follow(sid, analysis_id)

    async def _disconnect(self, sid: str, *_: Any) -> None:
        for muted in self._muted.values():
            muted.discard(sid)
        self._muted = {a: m for a, m in self._muted.items() if m}
        self.clients = max(0, self.clients - 1)
        self.metrics.realtime_clients.set(self.clients)

    async def _subscribe(self, sid: str, data: Any = None) -> dict[str, Any]:
        analysis_id = data.get("analysisId") if isinstance(data, dict) else data
        if not isinstance(analysis_id, str):
            return {"ok": False, "error": "Send {'analysisId': '<id>'} to follow an analysis."}
        return await self._follow(sid, analysis_id)

    async def _unsubscribe(self, sid: str, data: Any = None) -> dict[str, Any]:
        analysis_id = data.get("analysisId") if isinstance(data, dict) else data
        if isinstance(analysis_id, str):
            async with self.sio.session(sid) as session:
                session["following"].discard(analysis_id)
            await self.sio.leave_room(sid, room_for(analysis_id))
            self._muted.setdefault(analysis_id, set()).add(sid)
        return {"ok": True}

    async def _follow(self, sid: str, analysis_id: str) -> dict[str, Any]:
        """Join the analysis's room when the client's workspace owns it.

        The answer carries the analysis's state now and notices about degraded parts affecting it, so a
        client that subscribes after events went out starts from the truth.
        """
        session = await self.sio.get_session(sid)
        if len(session["following"]) >= MAX_FOLLOWED:
            return {"ok": False, "error": f"A connection can follow at most {MAX_FOLLOWED} analyses."}
        try:
            if len(analysis_id) > MAX_ID_LENGTH:
                raise NotFoundError("There is no analysis with that id.")
            analysis = await self.runtime.service.get(analysis_id, workspace_id=session["workspace"])
        except NotFoundError as error:
            # Same answer for "does not exist" and "another workspace's": nothing leaks.
            return {"ok": False, "error": error.message}
        except SQLAlchemyError:
            return {"ok": False, "error": UNAVAILABLE}
        session["following"].add(analysis_id)
        await self.sio.save_session(sid, session)
        self._muted.get(analysis_id, set()).discard(sid)
        await self.sio.enter_room(sid, room_for(analysis_id))
        return {
            "ok": True,
            "analysisId": analysis.analysis_id,
            "status": analysis.status.value,
            "progress": analysis.progress.model_dump(mode="json"),
            "notices": notices_for(await self.health.report(), analysis.status),
        }

    # -- relay ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start relaying events from Redis; returns once the subscription is live (or failed once)."""
        self._task = asyncio.create_task(self._relay_forever(), name="oppscout-realtime-relay")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), timeout=5)

    async def probe(self) -> ComponentHealth:
        """The websocket-service: healthy while the relay's Redis subscription is live."""
        if self._task is None or self._task.done():
            return ComponentHealth(
                name=Component.WEBSOCKET_SERVICE, status=ComponentState.DOWN, detail="the relay is not running"
            )
        if not self.connected.is_set():
            return ComponentHealth(
                name=Component.WEBSOCKET_SERVICE,
                status=ComponentState.DOWN,
                detail="the relay has lost its Redis subscription; reconnecting",
            )
        return ComponentHealth(
            name=Component.WEBSOCKET_SERVICE,
            status=ComponentState.HEALTHY,
            detail=f"relaying events to {self.clients} connection(s)",
        )

    async def stop(self) -> None:
        """Stop relaying."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _relay_forever(self) -> None:
        attempt = 0
        while True:
            try:
                async with EventSubscription(self.runtime.redis) as subscription:
                    self.connected.set()
                    attempt = 0
                    while True:
                        try:
                            routed = await subscription.next_routed(timeout=1.0)
                        except ValidationError:
                            log.warning("dropped a malformed analysis event")
                            continue
                        if routed is not None:
                            await self.relay(routed.event, workspace_id=routed.workspace_id)
            except (RedisError, OSError) as error:
                self.connected.clear()
                delay = RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)]
                attempt += 1
                log.warning("event subscription lost (%s); retrying in %.1f s", type(error).__name__, delay)
                await asyncio.sleep(delay)

    async def relay(self, event: AnalysisEvent, *, workspace_id: str | None = None) -> None:
        """Emit one event to every connection of its analysis's workspace (and explicit followers).

        ``workspace_id`` is the workspace the publisher stamped on the event; the database is read
        only for an event without one (an older worker's), since under a burst those reads, queued on
        the database, were what held up the first round of deliveries. Absent optional fields are left
        out of the payload, never sent as null; the routing key is not part of it.
        """
        rooms = [room_for(event.analysis_id)]
        workspace = workspace_id or await self._workspace_of(event.analysis_id)
        if workspace is not None:
            rooms.append(workspace_room(workspace))
        muted = list(self._muted.get(event.analysis_id, ()))
        await self.sio.emit(
            event_name(event), event.model_dump(mode="json", exclude_none=True), room=rooms, skip_sid=muted or None
        )
        self.metrics.realtime_events.labels(kind=event.type).inc()

    async def _workspace_of(self, analysis_id: str) -> str | None:
        """The workspace owning an analysis (remembered); None when it is unknown or the database is down."""
        known = self._workspaces.get(analysis_id)
        if known is not None:
            self._workspaces.move_to_end(analysis_id)
            return known
        try:
            async with self.runtime.database.unit_of_work() as session:
                row = await AnalysisRepository(session).get(analysis_id)
        except SQLAlchemyError as error:
            log.warning("could not look up the workspace of an event: %s", type(error).__name__)
            return None
        if row is None:
            return None
        self._workspaces[analysis_id] = row.workspace_id
        while len(self._workspaces) > WORKSPACE_CACHE_SIZE:
            self._workspaces.popitem(last=False)
        return row.workspace_id
