"""Service health: the state of each part, and the features and user messages that follow from it.

The web API serves these models; the doctor command and the bots can reuse them. Probing lives with
the adapters (they know Redis, HTTP and so on); this module only holds the vocabulary and the rules
that turn component states into feature flags and into sentences a user can act on.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from pydantic import Field

from oppscout.core.contract import AnalysisStatus, CamelModel, UtcDateTime, utcnow

log = logging.getLogger(__name__)


class ComponentState(StrEnum):
    """How one part of the service is doing."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    DOWN = "down"
    DISABLED = "disabled"
    """Not configured on this deployment: neither working nor broken."""


class Component(StrEnum):
    """The parts the health endpoint reports, by their public names."""

    REDDIT_API = "reddit-api"
    AI_PROCESSOR = "ai-processor"
    TRANSCRIBER = "transcriber"
    QUEUE = "queue"
    DATABASE = "database"
    SLACK = "slack"
    DISCORD = "discord"


# Without these nothing can be submitted or followed, so the whole service is down.
ESSENTIAL = (Component.DATABASE, Component.QUEUE)

# Processes that use a part (a worker calling Reddit, a bot transcribing) write its state under this
# key with a short expiry, so every web process reports what the users of the part actually see.
COMPONENT_REPORT_PREFIX = "oppscout:health:"
COMPONENT_REPORT_TTL_SECONDS = 60


def component_report_key(component: Component) -> str:
    """The Redis key under which a process reports the state of ``component``."""
    return COMPONENT_REPORT_PREFIX + component.value


class ComponentHealth(CamelModel):
    """The state of one part, why, and when it was checked."""

    name: Component
    status: ComponentState
    detail: str = ""
    checked_at: UtcDateTime = Field(default_factory=utcnow)
    reported_by: str = Field(default="web", description="'web' when this process probed it, else the reporter.")


class HealthReport(CamelModel):
    """Every component, and the state of the service as a whole."""

    status: ComponentState
    components: dict[Component, ComponentHealth]
    checked_at: UtcDateTime

    @classmethod
    def from_components(cls, components: list[ComponentHealth], checked_at: datetime | None = None) -> HealthReport:
        """Summarise: down when an essential part is down, degraded when any configured part is not healthy."""
        by_name = {c.name: c for c in components}
        states = [c.status for c in components if c.status != ComponentState.DISABLED]
        if any(by_name[name].status == ComponentState.DOWN for name in ESSENTIAL if name in by_name):
            overall = ComponentState.DOWN
        elif any(s != ComponentState.HEALTHY for s in states):
            overall = ComponentState.DEGRADED
        else:
            overall = ComponentState.HEALTHY
        return cls(status=overall, components=by_name, checked_at=checked_at or utcnow())

    def state(self, component: Component) -> ComponentState:
        """The state of one component; a component nobody checked counts as down."""
        found = self.components.get(component)
        return found.status if found else ComponentState.DOWN

    def usable(self, component: Component) -> bool:
        """Whether the component can be used now (healthy, or degraded but answering)."""
        return self.state(component) in (ComponentState.HEALTHY, ComponentState.DEGRADED)


VOICE_UNAVAILABLE = "Voice is unavailable right now, please type your request."
LLM_UNAVAILABLE = (
    "The AI processor is unavailable, so analyses run on the local engine: ranked opportunities with quotes, "
    "without written product ideas."
)
LLM_NOT_CONFIGURED = "No LLM is configured, so analyses run on the local engine at no cost."
REDDIT_UNAVAILABLE = (
    "Reddit cannot be reached right now. Requests are saved and stay queued; they start as soon as Reddit is back."
)
QUEUE_UNAVAILABLE = (
    "The job queue is unreachable right now. Analyses are saved and start as soon as it is back; "
    "live updates pause meanwhile, so refresh to see progress."
)
NO_WORKER = "No worker is running right now, so analyses wait in line until one starts."
DATABASE_UNAVAILABLE = "The database is unreachable right now, so analyses cannot be started or shown."


class Features(CamelModel):
    """What the front end may offer now, derived from health; ``messages`` explain what is off."""

    analysis_submission: bool
    realtime_updates: bool
    voice_interface: bool
    llm_synthesis: bool
    local_analysis: bool
    live_reddit: bool
    slack: bool
    discord: bool
    messages: dict[str, str] = Field(default_factory=dict)
    checked_at: UtcDateTime


def derive_features(report: HealthReport) -> Features:
    """Feature flags and the messages that go with the ones that are off."""
    messages: dict[str, str] = {}
    database = report.usable(Component.DATABASE)
    queue = report.usable(Component.QUEUE)
    voice = report.usable(Component.TRANSCRIBER)
    llm = report.usable(Component.AI_PROCESSOR)
    reddit = report.usable(Component.REDDIT_API)
    if not database:
        messages["analysisSubmission"] = DATABASE_UNAVAILABLE
    if not queue:
        messages["realtimeUpdates"] = QUEUE_UNAVAILABLE
    if not voice:
        messages["voiceInterface"] = VOICE_UNAVAILABLE
    if report.state(Component.AI_PROCESSOR) == ComponentState.DISABLED:
        messages["llmSynthesis"] = LLM_NOT_CONFIGURED
    elif not llm:
        messages["llmSynthesis"] = LLM_UNAVAILABLE
    if not reddit and report.state(Component.REDDIT_API) != ComponentState.DISABLED:
        messages["liveReddit"] = REDDIT_UNAVAILABLE
    return Features(
        analysis_submission=database,
        realtime_updates=queue,
        voice_interface=voice,
        llm_synthesis=llm,
        local_analysis=True,
        live_reddit=reddit,
        slack=report.usable(Component.SLACK),
        discord=report.usable(Component.DISCORD),
        messages=messages,
        checked_at=report.checked_at,
    )


def notices_for(report: HealthReport, status: AnalysisStatus) -> list[str]:
    """What a user following an analysis in ``status`` should be told about degraded parts now."""
    if status.is_final:
        return []
    notices: list[str] = []
    if report.state(Component.REDDIT_API) == ComponentState.DOWN and status == AnalysisStatus.QUEUED:
        notices.append(REDDIT_UNAVAILABLE)
    if report.state(Component.QUEUE) == ComponentState.DOWN:
        notices.append(QUEUE_UNAVAILABLE)
    elif report.state(Component.QUEUE) == ComponentState.DEGRADED and status == AnalysisStatus.QUEUED:
        notices.append(NO_WORKER)
    if report.state(Component.AI_PROCESSOR) == ComponentState.DOWN:
        notices.append(LLM_UNAVAILABLE)
    return notices


class ReportStore(Protocol):
    """Where processes publish component reports: a Redis client (``set`` with an expiry in seconds)."""

    def set(self, name: str, value: str, ex: int | None = None) -> Any:
        """Store ``value`` under ``name`` for ``ex`` seconds (may return an awaitable)."""
        ...


async def publish_component(store: ReportStore, health: ComponentHealth) -> None:
    """Publish one component's state for every web process to read, expiring if the reporter dies."""
    stored = store.set(component_report_key(health.name), health.model_dump_json(), ex=COMPONENT_REPORT_TTL_SECONDS)
    if inspect.isawaitable(stored):
        await stored


async def keep_reporting(
    store: ReportStore,
    probe: Callable[[], Awaitable[ComponentHealth]],
    *,
    every: float = COMPONENT_REPORT_TTL_SECONDS / 3,
) -> None:
    """Publish what ``probe`` says until cancelled, well within the report's expiry."""
    while True:
        try:
            await publish_component(store, await probe())
        except Exception as error:  # noqa: BLE001 - a missed report expires on its own; keep trying
            log.warning("could not report component health: %s", error)
        await asyncio.sleep(every)
