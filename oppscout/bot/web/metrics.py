"""Prometheus metrics of the web process: analyses by status, the queue, health, requests and realtime."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from redis.exceptions import RedisError

from oppscout.core.contract import AnalysisStatus
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.health import HealthReport, ServiceState
from oppscout.runtime import Runtime


class WebMetrics:
    """One registry per app, so several apps (tests, several mounts) never share counters."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.analyses = Gauge(
            "oppscout_analyses", "Analyses in the database by status.", ["status"], registry=self.registry
        )
        self.queue_depth = Gauge("oppscout_queue_depth", "Stage jobs waiting for a worker.", registry=self.registry)
        self.workers = Gauge("oppscout_workers", "Live workers (by heartbeat).", registry=self.registry)
        self.workers_available = Gauge(
            "oppscout_workers_available", "Live workers with a free slot.", registry=self.registry
        )
        self.component_up = Gauge(
            "oppscout_component_up",
            "1 when the component is healthy or degraded, 0 when down; disabled components are left out.",
            ["component"],
            registry=self.registry,
        )
        self.component_state = Gauge(
            "oppscout_component_state",
            "1 for the component's current state.",
            ["component", "state"],
            registry=self.registry,
        )
        self.requests = Counter(
            "oppscout_http_requests",
            "HTTP requests by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.realtime_clients = Gauge(
            "oppscout_realtime_clients", "Socket.IO clients connected to this process.", registry=self.registry
        )
        self.realtime_events = Counter(
            "oppscout_realtime_events", "Analysis events relayed to Socket.IO rooms.", ["kind"], registry=self.registry
        )

    async def render(self, runtime: Runtime, health: HealthReport) -> bytes:
        """Refresh the gauges that come from the database, Redis and health, and render the text format."""
        try:
            async with runtime.database.unit_of_work() as session:
                counts = await AnalysisRepository(session).count_by_status()
            for status in AnalysisStatus:
                self.analyses.labels(status=status.value).set(counts.get(status.value, 0))
        except Exception:  # noqa: BLE001 - a down database shows in the health gauges; keep the rest
            self.analyses.clear()
        try:
            self.queue_depth.set(await runtime.queue.depth())
            available, total = await runtime.queue.workers()
            self.workers.set(total)
            self.workers_available.set(available)
        except (RedisError, OSError):
            for gauge in (self.queue_depth, self.workers, self.workers_available):
                gauge.set(float("nan"))
        for name, component in health.components.items():
            for state in ServiceState:
                self.component_state.labels(component=name.value, state=state.value).set(
                    1 if component.status == state else 0
                )
            self.component_up.labels(component=name.value).set(0 if component.status == ServiceState.DOWN else 1)
        return generate_latest(self.registry)
