"""What a worker learns about a part by using it (Reddit's API, the LLM), published for the web's /health.

The web process can only probe a part from the outside; a worker that just got a 503 from Reddit or
gave up on the LLM knows better. Each adapter holds a ``ComponentReporter`` and tells it how its
last call went; the reporter writes that under ``core.health.component_report_key`` with the usual
expiry, so a report outlives its worker by at most a minute.
"""

from __future__ import annotations

import logging
import os
import socket
import time

from oppscout.core.health import (
    COMPONENT_REPORT_TTL_SECONDS,
    Component,
    ComponentHealth,
    ComponentState,
    ReportStore,
    publish_component,
)

log = logging.getLogger(__name__)

# A part used hundreds of times a minute is reported at most this often while its state stays the same
# (well within the report's expiry, so a busy worker's report never lapses).
REPEAT_SECONDS = COMPONENT_REPORT_TTL_SECONDS / 4


class ComponentReporter:
    """Publishes the state of one component as its user (this worker) sees it."""

    def __init__(self, store: ReportStore, component: Component, *, repeat_seconds: float = REPEAT_SECONDS) -> None:
        self.store = store
        self.component = component
        self.repeat_seconds = repeat_seconds
        self.reporter = f"worker {socket.gethostname()}:{os.getpid()}"
        self._last: tuple[ComponentState, float] | None = None

    async def healthy(self, detail: str) -> None:
        """A call just succeeded."""
        await self.report(ComponentState.HEALTHY, detail)

    async def degraded(self, detail: str) -> None:
        """The part answers slowly or refuses for now (a rate-limit wait, a retry after an error)."""
        await self.report(ComponentState.DEGRADED, detail)

    async def down(self, detail: str) -> None:
        """The worker gave up on the part."""
        await self.report(ComponentState.DOWN, detail)

    async def report(self, state: ComponentState, detail: str) -> None:
        """Publish ``state`` unless the same state was published moments ago; never raises."""
        now = time.monotonic()
        if self._last is not None and self._last[0] == state and now - self._last[1] < self.repeat_seconds:
            return
        health = ComponentHealth(name=self.component, status=state, detail=detail, reported_by=self.reporter)
        try:
            await publish_component(self.store, health)
        except Exception as error:  # noqa: BLE001 - a lost report expires on its own; the call must not fail
            log.warning("could not report %s as %s: %s", self.component.value, state.value, error)
            return
        self._last = (state, now)
