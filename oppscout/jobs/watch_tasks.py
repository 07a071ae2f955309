"""The watch cron: run due watches, evaluate finished runs and deliver the DM outbox."""

from __future__ import annotations

import logging
from typing import Any

from oppscout.core.watches import WatchScheduler

log = logging.getLogger(__name__)


async def run_watches(ctx: dict[str, Any]) -> int:
    """Cron: one scheduler tick; returns how many watch runs it started.

    Every worker has this cron; the database claims inside the tick make each watch run once.
    """
    scheduler: WatchScheduler = ctx["watch_scheduler"]
    result = await scheduler.tick()
    if result.started or result.messages:
        log.info("watches: %s runs started, %s alerts queued", len(result.started), len(result.messages))
    return len(result.started)
