"""Analysis events over Redis pub/sub: workers publish, chat and web processes subscribe."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.exceptions import RedisError

from oppscout.core.events import AnalysisEvent, parse_event

CHANNEL_PREFIX = "oppscout:analysis:"
SEQ_PREFIX = "oppscout:seq:"
SEQ_TTL_SECONDS = 7 * 86400

log = logging.getLogger(__name__)


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
            await self.redis.publish(channel_for(event.analysis_id), event.model_dump_json())
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
        if not self._subscribed:
            await self._subscribe()
        message = await self._pubsub.get_message(timeout=timeout)
        if message is None or message.get("type") not in ("message", "pmessage"):
            return None
        return parse_event(message["data"])

    async def __aiter__(self) -> AsyncIterator[AnalysisEvent]:
        while True:
            event = await self.next_event(timeout=1.0)
            if event is not None:
                yield event
