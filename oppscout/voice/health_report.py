"""Reporting the transcriber's health where every web process reads it, so the voice feature flag shows
what the people sending voice notes actually get.

A bot process that transcribes writes its transcriber's state under ``core.health``'s report key with a
short expiry; the web health monitor prefers a fresh report to its own install check. ``health`` of a
``WhisperTranscriber`` is also a probe a process can hand to the monitor directly.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any, Protocol

from oppscout.core.health import (
    COMPONENT_REPORT_TTL_SECONDS,
    Component,
    ComponentHealth,
    component_report_key,
)
from oppscout.voice.transcriber import WhisperTranscriber

log = logging.getLogger(__name__)


class ReportStore(Protocol):
    """Where reports go: a Redis client (``set`` with an expiry in seconds)."""

    def set(self, name: str, value: str, ex: int | None = None) -> Any:
        """Store ``value`` under ``name`` for ``ex`` seconds."""
        ...


async def report_transcriber_health(
    store: ReportStore, transcriber: WhisperTranscriber, *, reporter: str = "bot"
) -> ComponentHealth:
    """Check the transcriber and publish the result; returns it."""
    health = (await transcriber.health()).model_copy(update={"reported_by": reporter})
    stored = store.set(
        component_report_key(Component.TRANSCRIBER), health.model_dump_json(), ex=COMPONENT_REPORT_TTL_SECONDS
    )
    if inspect.isawaitable(stored):
        await stored
    return health


async def keep_reporting(
    store: ReportStore, transcriber: WhisperTranscriber, *, every: float = COMPONENT_REPORT_TTL_SECONDS / 3
) -> None:
    """Publish the transcriber's health until cancelled, well within the report's expiry."""
    while True:
        try:
            await report_transcriber_health(store, transcriber)
        except Exception as error:  # noqa: BLE001 - a failed report expires on its own; keep trying
            log.warning("could not report transcriber health: %s", error)
        await asyncio.sleep(every)
