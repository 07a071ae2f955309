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
    """How one part of the service is doing, as the process using it reports it."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    DOWN = "down"
    DISABLED = "disabled"
    """Not configured on this deployment: neither working nor broken (never shown as a public state)."""


class ServiceState(StrEnum):
    """The contract's three states of a service in the public health report."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    DOWN = "down"


class Component(StrEnum):
    """The parts health is reported for, by their public names.

    The first four are the contract's services, mapped onto the product: ``reddit-api`` is the post
    source, ``ai-processor`` the LLM and transcription, ``payment-service`` the spend ledger and caps
    that meter every paid call, ``websocket-service`` the Socket.IO relay. The rest are the product's
    own parts.
    """

    REDDIT_API = "reddit-api"
    AI_PROCESSOR = "ai-processor"
    PAYMENT_SERVICE = "payment-service"
    WEBSOCKET_SERVICE = "websocket-service"
    LLM = "llm"
    TRANSCRIBER = "transcriber"
    QUEUE = "queue"
    DATABASE = "database"
    SLACK = "slack"
    DISCORD = "discord"


CONTRACT_SERVICES = (
    Component.REDDIT_API,
    Component.AI_PROCESSOR,
    Component.PAYMENT_SERVICE,
    Component.WEBSOCKET_SERVICE,
)
# What the ai-processor stands for: the parts that process text and speech with a model.
AI_PARTS = (Component.LLM, Component.TRANSCRIBER)

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
    """The state of one part, why, and when it was checked: what probes and reporters say."""

    name: Component
    status: ComponentState
    detail: str = ""
    checked_at: UtcDateTime = Field(default_factory=utcnow)
    reported_by: str = Field(default="web", description="'web' when this process probed it, else the reporter.")


class ServiceHealth(CamelModel):
    """One service or part in the public report, in the contract's three states."""

    name: Component
    status: ServiceState
    detail: str = ""
    checked_at: UtcDateTime = Field(default_factory=utcnow)
    reported_by: str = Field(default="web", description="'web' when this process probed it, else the reporter.")
    configured: bool = Field(
        default=True,
        description="Extension: false when the deployment stands something in for the part (e.g. demo data for "
        "reddit-api); the status is then that stand-in's.",
    )


_WORST = (ServiceState.HEALTHY, ServiceState.DEGRADED, ServiceState.DOWN)


def _public(part: ComponentHealth, *, configured: bool = True) -> ServiceHealth:
    status = ServiceState.HEALTHY if part.status == ComponentState.DISABLED else ServiceState(part.status.value)
    return ServiceHealth(
        name=part.name,
        status=status,
        detail=part.detail,
        checked_at=part.checked_at,
        reported_by=part.reported_by,
        configured=configured,
    )


def _ai_processor(parts: dict[Component, ComponentHealth], checked_at: datetime) -> ServiceHealth:
    """Healthy when every configured model part is; down when all are down; degraded in between."""
    used = [parts[p] for p in AI_PARTS if p in parts and parts[p].status != ComponentState.DISABLED]
    if not used:
        return ServiceHealth(
            name=Component.AI_PROCESSOR,
            status=ServiceState.HEALTHY,
            detail="no LLM or transcription configured; the local engine does the analysis",
            checked_at=checked_at,
            configured=False,
        )
    states = [ServiceState(p.status.value) for p in used]
    if all(s == ServiceState.DOWN for s in states):
        status = ServiceState.DOWN
    elif all(s == ServiceState.HEALTHY for s in states):
        status = ServiceState.HEALTHY
    else:
        status = ServiceState.DEGRADED
    worst = max(used, key=lambda p: _WORST.index(ServiceState(p.status.value)))
    return ServiceHealth(
        name=Component.AI_PROCESSOR,
        status=status,
        detail="; ".join(f"{p.name.value}: {p.detail}" for p in used),
        checked_at=min(p.checked_at for p in used),
        reported_by=worst.reported_by,
    )


class HealthReport(CamelModel):
    """The contract's services and the product's parts, and the state of the service as a whole.

    Parts this deployment does not use (no Slack token, no LLM) are left out rather than given a
    fourth state; the contract's four services are always there.
    """

    status: ServiceState
    components: dict[Component, ServiceHealth]
    checked_at: UtcDateTime

    @classmethod
    def from_components(cls, components: list[ComponentHealth], checked_at: datetime | None = None) -> HealthReport:
        """Summarise: down when an essential part is down, degraded when any reported part is not healthy."""
        when = checked_at or utcnow()
        parts = {c.name: c for c in components}
        public: dict[Component, ServiceHealth] = {}
        for name in CONTRACT_SERVICES:
            if name == Component.AI_PROCESSOR:
                public[name] = _ai_processor(parts, when)
            elif name in parts:
                public[name] = _public(parts[name], configured=parts[name].status != ComponentState.DISABLED)
        for name, part in parts.items():
            if name not in CONTRACT_SERVICES and part.status != ComponentState.DISABLED:
                public[name] = _public(part)
        if any(public[name].status == ServiceState.DOWN for name in ESSENTIAL if name in public):
            overall = ServiceState.DOWN
        elif any(c.status != ServiceState.HEALTHY for c in public.values()):
            overall = ServiceState.DEGRADED
        else:
            overall = ServiceState.HEALTHY
        return cls(status=overall, components=public, checked_at=when)

    def state(self, component: Component) -> ServiceState:
        """The state of one component; a component nobody checked counts as down."""
        found = self.components.get(component)
        return found.status if found else ServiceState.DOWN

    def usable(self, component: Component) -> bool:
        """Whether the component can be used now (healthy, or degraded but answering)."""
        return self.state(component) in (ServiceState.HEALTHY, ServiceState.DEGRADED)

    def configured(self, component: Component) -> bool:
        """Whether this deployment uses the part itself (not left out, not stood in for)."""
        found = self.components.get(component)
        return found is not None and found.configured


VOICE_UNAVAILABLE = "Voice is unavailable right now, please type your request."
VOICE_LIMITED = "Voice notes are transcribed, but the AI processor is degraded right now."
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
REALTIME_UNAVAILABLE = "Live updates are unavailable right now; refresh to see progress."
PAYMENT_UNAVAILABLE = (
    "Spend cannot be metered right now, so paid calls (the LLM, priced Reddit calls) cannot be made; "
    "analyses wait or run on the local engine."
)
NO_WORKER = "No worker is running right now, so analyses wait in line until one starts."
DATABASE_UNAVAILABLE = "The database is unreachable right now, so analyses cannot be started or shown."


class Features(CamelModel):
    """What the front end may offer now, derived from health; ``messages`` explain what is off.

    The contract's flags: ``voiceInterface`` (ai-processor healthy), ``realtimeUpdates``
    (websocket-service healthy), ``paymentProcessing`` (payment-service healthy), ``constellationMap``
    (always). The rest are the product's own.
    """

    voice_interface: bool
    realtime_updates: bool
    payment_processing: bool
    constellation_map: bool = True
    analysis_submission: bool
    voice_transcription: bool
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
    healthy = {name: report.state(name) == ServiceState.HEALTHY for name in CONTRACT_SERVICES}
    database = report.usable(Component.DATABASE)
    transcription = report.usable(Component.TRANSCRIBER)
    llm = report.usable(Component.LLM)
    reddit = report.configured(Component.REDDIT_API) and report.usable(Component.REDDIT_API)
    if not database:
        messages["analysisSubmission"] = DATABASE_UNAVAILABLE
    if not healthy[Component.WEBSOCKET_SERVICE]:
        queue_down = report.state(Component.QUEUE) == ServiceState.DOWN
        messages["realtimeUpdates"] = QUEUE_UNAVAILABLE if queue_down else REALTIME_UNAVAILABLE
    if not healthy[Component.AI_PROCESSOR]:
        messages["voiceInterface"] = VOICE_UNAVAILABLE if not transcription else VOICE_LIMITED
    if not transcription:
        messages["voiceTranscription"] = VOICE_UNAVAILABLE
    if not healthy[Component.PAYMENT_SERVICE]:
        messages["paymentProcessing"] = PAYMENT_UNAVAILABLE
    if Component.LLM not in report.components:
        messages["llmSynthesis"] = LLM_NOT_CONFIGURED
    elif not llm:
        messages["llmSynthesis"] = LLM_UNAVAILABLE
    if report.configured(Component.REDDIT_API) and not reddit:
        messages["liveReddit"] = REDDIT_UNAVAILABLE
    return Features(
        voice_interface=healthy[Component.AI_PROCESSOR],
        realtime_updates=healthy[Component.WEBSOCKET_SERVICE],
        payment_processing=healthy[Component.PAYMENT_SERVICE],
        constellation_map=True,
        analysis_submission=database,
        voice_transcription=transcription,
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
    if (
        report.configured(Component.REDDIT_API)
        and report.state(Component.REDDIT_API) == ServiceState.DOWN
        and status == AnalysisStatus.QUEUED
    ):
        notices.append(REDDIT_UNAVAILABLE)
    if report.state(Component.QUEUE) == ServiceState.DOWN:
        notices.append(QUEUE_UNAVAILABLE)
    elif report.state(Component.QUEUE) == ServiceState.DEGRADED and status == AnalysisStatus.QUEUED:
        notices.append(NO_WORKER)
    if Component.LLM in report.components and report.state(Component.LLM) == ServiceState.DOWN:
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
