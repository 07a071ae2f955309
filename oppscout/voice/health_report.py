"""Reporting the transcriber's health where every web process reads it, so the voice feature flag shows
what the people sending voice notes actually get.

A bot process that transcribes writes its transcriber's state under ``core.health``'s report key with a
short expiry; the web health monitor prefers a fresh report to its own install check. ``health`` of a
``WhisperTranscriber`` is also a probe a process can hand to the monitor directly.
"""

from __future__ import annotations

import logging

from oppscout.core.health import (
    COMPONENT_REPORT_TTL_SECONDS,
    ComponentHealth,
    ReportStore,
    publish_component,
)
from oppscout.core.health import keep_reporting as keep_component_reporting
from oppscout.voice.transcriber import WhisperTranscriber

log = logging.getLogger(__name__)


async def report_transcriber_health(
    store: ReportStore, transcriber: WhisperTranscriber, *, reporter: str = "bot"
) -> ComponentHealth:
    """Check the transcriber and publish the result; returns it."""
    health = (await transcriber.health()).model_copy(update={"reported_by": reporter})
    await publish_component(store, health)
    return health


async def keep_reporting(
    store: ReportStore, transcriber: WhisperTranscriber, *, every: float = COMPONENT_REPORT_TTL_SECONDS / 3
) -> None:
    """Publish the transcriber's health until cancelled, well within the report's expiry."""

    async def probe() -> ComponentHealth:
        return (await transcriber.health()).model_copy(update={"reported_by": "bot"})

    await keep_component_reporting(store, probe, every=every)
