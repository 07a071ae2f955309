"""What a worker learns about the database by using it, published for the web's /health.

The web process probes the database from its own connection; a worker may see it differently (its
disk filled up, its network path is cut, its file is mounted read-only). Each reconcile tick the
worker checks that it can read and commit a write, and while it cannot it writes that under
``core.health.component_report_key(DATABASE)`` with the usual expiry. The web shows the worse of
its own probe and that report. Only a failing worker writes the key, so one healthy worker cannot
hide another one's outage; a worker whose writes work again (or that stops) deletes the report only
if it is its own, and a crashed worker's report expires within a minute.

The outage is logged once when it starts and once when it ends, however many ticks it lasts. A
stage that fails checks at once (so /health shows it within seconds, not at the next tick), and a
stage that succeeds during an outage checks whether it is over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from redis.asyncio import Redis

from oppscout.core.db.database import Database
from oppscout.core.health import Component, ComponentHealth, ComponentState, component_report_key, publish_component

log = logging.getLogger(__name__)

# Delete the report only when this reporter wrote it: another failing worker's report must stay.
_DELETE_IF_MINE = """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, report = pcall(cjson.decode, raw)
if ok and report['reportedBy'] == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class DatabaseWatch:
    """Checks the database as this worker sees it, reports an outage for /health, and logs it once."""

    def __init__(self, database: Callable[[], Database], store: Redis, *, reporter: str, timeout: float = 2.0) -> None:
        # A callable: the runner's database may be swapped (tests do, to simulate a full disk).
        self.database = database
        self.store = store
        self.reporter = reporter
        # A database behind a cut network may never answer: that is an outage too, not a hung cron.
        self.timeout = timeout
        self.failing: ComponentHealth | None = None
        self.last_error = ""

    async def check(self) -> ComponentHealth:
        """The database's state for this worker: down when it cannot answer, degraded when it cannot write."""
        database = self.database()
        try:
            await asyncio.wait_for(database.ping(), self.timeout)
        except TimeoutError as error:
            return self._failed(ComponentState.DOWN, f"unreachable: no answer within {self.timeout:g} s", error)
        except Exception as error:  # noqa: BLE001 - any driver error means the same: stages cannot run
            return self._failed(ComponentState.DOWN, f"unreachable: {type(error).__name__}", error)
        try:
            await asyncio.wait_for(database.probe_write(), self.timeout)
        except TimeoutError as error:
            return self._failed(
                ComponentState.DEGRADED, f"answers, but a write got no answer within {self.timeout:g} s", error
            )
        except Exception as error:  # noqa: BLE001 - reads work, writes do not: analyses cannot move on
            return self._failed(ComponentState.DEGRADED, f"answers, but writes fail: {type(error).__name__}", error)
        return self._health(ComponentState.HEALTHY, f"{database.engine.dialect.name} answers and writes")

    async def tick(self) -> bool:
        """Check, report and log a change; True when the database works for this worker."""
        health = await self.check()
        if health.status == ComponentState.HEALTHY:
            if self.failing is not None:
                log.warning("database usable again after the outage (%s)", self.failing.detail)
                self.failing = None
                await self.withdraw()
            return True
        if self.failing is None or self.failing.status != health.status:
            log.warning(
                "database outage seen by this worker: %s (%s); reported in /health until it ends",
                health.detail,
                self.last_error,
            )
        self.failing = health
        try:
            await publish_component(self.store, health)
        except Exception as error:  # noqa: BLE001 - Redis may be away too; the next tick reports again
            log.debug("could not report the database outage: %s", error)
        return False

    async def withdraw(self) -> None:
        """Remove this worker's report, if the report there is its own; never raises."""
        try:
            await self.store.eval(_DELETE_IF_MINE, 1, component_report_key(Component.DATABASE), self.reporter)  # type: ignore[misc]
        except Exception as error:  # noqa: BLE001 - the report then expires on its own
            log.warning("could not withdraw the database report: %s", error)

    def _failed(self, status: ComponentState, detail: str, error: Exception) -> ComponentHealth:
        # The error's text goes to this worker's log only: /health is public, the text may name hosts or paths.
        log.debug("database check failed: %s", error)
        self.last_error = f"{type(error).__name__}: {error}"
        return self._health(status, detail)

    def _health(self, status: ComponentState, detail: str) -> ComponentHealth:
        return ComponentHealth(name=Component.DATABASE, status=status, detail=detail, reported_by=self.reporter)
