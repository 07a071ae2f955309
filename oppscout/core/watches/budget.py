"""A watch's monthly budget: what its runs have committed this month, and what the next run may spend."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.contract import AnalysisStatus
from oppscout.core.db.repositories.watches import RunCost, WatchRepository

ZERO = Decimal("0")


def run_committed(run: RunCost) -> Decimal:
    """Settled spend of a finished run; the whole budget of a run still pending or running (it may use it all)."""
    if run.status is not None and AnalysisStatus(run.status).is_final:
        return run.spent
    return max(run.max_cost, run.spent + run.reserved)


async def month_committed(
    session: AsyncSession, watch_id: int, month_start: datetime, *, spent_only: bool = False
) -> Decimal:
    """What the watch's runs since ``month_start`` committed (or only settled, with ``spent_only``)."""
    runs = await WatchRepository(session).run_costs_since(watch_id, month_start)
    if spent_only:
        return sum((r.spent for r in runs), ZERO)
    return sum((run_committed(r) for r in runs), ZERO)
