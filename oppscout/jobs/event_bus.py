"""Analysis events over Redis pub/sub: workers publish, chat and web processes subscribe.

A message is the event's JSON plus one routing key, ``workspaceId``: the workspace owning the
analysis, when the publisher knows it. The web relay routes on it instead of reading the database
for each analysis's first event. It sits beside the event's own fields (not around them) so a
subscriber that does not know it simply ignores it; a message without it (an older worker, or an
event made where the workspace is unknown) is routed by the relay's database lookup instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from oppscout.core.events import EVENT_ADAPTER, AnalysisEvent
from oppscout.core.log_context import analysis_id_var, workspace_var

CHANNEL_PREFIX = "oppscout:analysis:"
SEQ_PREFIX = "oppscout:seq:"
SEQ_TTL_SECONDS = 7 * 86400

ROUTING_KEY = "workspaceId"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoutedEvent:
    """An event as it came off the bus, with the workspace the publisher stamped on it (None: unknown)."""

    event: AnalysisEvent
    workspace_id: str | None


def workspace_of(event: AnalysisEvent) -> str | None:
    """The workspace to stamp on ``event``: its own, else the running job's when the job is its analysis.

    The worker records the workspace in the job's context as soon as a stage reads its analysis
    (``set_workspace``), so every event a stage publishes is stamped without threading the id through
    each call that makes one.
    """
    if event.workspace_id is not None:
        return event.workspace_id
    if analysis_id_var.get() == event.analysis_id:
        return workspace_var.get()
    return None


def encode(event: AnalysisEvent, workspace_id: str | None) -> str:
    """The bus message of one event: its JSON, plus the routing key when the workspace is known."""
    body = event.model_dump(mode="json")
    if workspace_id is not None:
        body[ROUTING_KEY] = workspace_id
    return json.dumps(body, separators=(",", ":"))


def decode(raw: str | bytes) -> RoutedEvent:
    """Read a bus message; raises pydantic's ValidationError when it is not a valid event."""
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        # Not a JSON object: let pydantic say so, so callers see the same error as for any bad event.
        return RoutedEvent(EVENT_ADAPTER.validate_json(raw), None)
    workspace = body.pop(ROUTING_KEY, None)
    event = EVENT_ADAPTER.validate_python(body)
    return RoutedEvent(event, workspace if isinstance(workspace, str) and workspace else None)


def channel_for(analysis_id: str) -> str:
    """The pub/sub channel of one analysis."""
    return CHANNEL_PREFIX + analysis_id


class RedisEventPublisher:
    """The Notifier that publishes every event, numbered per analysis, on Redis pub/sub."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._lost = 0  # events not published since Redis went away

    async def publish(self, event: AnalysisEvent) -> None:
        """Number the event and publish it; a Redis hiccup is logged, not raised (the DB keeps state).

        An outage is logged once, when the first event is lost, and once more when Redis takes events again.
        """
        try:
            seq_key = SEQ_PREFIX + event.analysis_id
            event.seq = int(await self.redis.incr(seq_key))
            await self.redis.expire(seq_key, SEQ_TTL_SECONDS)
            await self.redis.publish(channel_for(event.analysis_id), encode(event, workspace_of(event)))
        except (RedisError, OSError) as error:
            if not self._lost:
                log.warning(
                    "could not publish %s event (%s); live updates pause until Redis is back",
                    event.type,
                    error,
                    extra={"analysis_id": event.analysis_id},
                )
            self._lost += 1
            return
        if self._lost:
            log.info("Redis takes events again; %d live update(s) were not sent meanwhile", self._lost)
            self._lost = 0


class EventSubscription:
    """A live subscription to the events of one analysis, or of all (``analysis_id=None``).

    Use as ``async with EventSubscription(redis) as sub:`` so the subscription exists before the
    analysis is queued and no early event is missed.
    """

    def __init__(self, redis: Redis, analysis_id: str | None = None, *, wait_for_redis: bool = False) -> None:
        """With ``wait_for_redis``, a Redis down at the start does not raise: the subscription is made
        by the first ``next_event`` that reaches Redis (until then each one raises the Redis error)."""
        self._pubsub = redis.pubsub(ignore_subscribe_messages=True)
        self._analysis_id = analysis_id
        self._wait_for_redis = wait_for_redis
        self._subscribed = False

    async def _subscribe(self) -> None:
        if self._analysis_id is None:
            await self._pubsub.psubscribe(CHANNEL_PREFIX + "*")
        else:
            await self._pubsub.subscribe(channel_for(self._analysis_id))
        self._subscribed = True

    async def __aenter__(self) -> EventSubscription:
        try:
            await self._subscribe()
        except (RedisError, OSError) as error:
            if not self._wait_for_redis:
                raise
            log.warning("live updates wait for Redis, unreachable now (%s)", error)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped

    async def next_event(self, timeout: float) -> AnalysisEvent | None:
        """The next event, or None when none came within ``timeout`` seconds.

        Raises the Redis error while Redis is unreachable; a later call reconnects (redis-py subscribes
        the connection again), so a caller that carries on gets events again once Redis is back."""
        routed = await self.next_routed(timeout)
        return None if routed is None else routed.event

    async def next_routed(self, timeout: float) -> RoutedEvent | None:
        """Like ``next_event``, with the workspace the publisher stamped on the event (for routing)."""
        if not self._subscribed:
            await self._subscribe()
        message = await self._pubsub.get_message(timeout=timeout)
        if message is None or message.get("type") not in ("message", "pmessage"):
            return None
        return decode(message["data"])

    async def __aiter__(self) -> AsyncIterator[AnalysisEvent]:
        while True:
            event = await self.next_event(timeout=1.0)
            if event is not None:
                yield event
