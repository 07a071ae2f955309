"""Worker and queue status as the outside world sees it."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from oppscout.core.contract.base import CamelModel, Money, UtcDateTime
from oppscout.core.contract.response import AnalysisStatus, Stage


class WorkerJobStatus(CamelModel):
    """One stage of one analysis, as run by a worker."""

    job_id: str
    type: Stage
    status: AnalysisStatus
    progress: int = Field(default=0, ge=0, le=100)
    estimated_completion: UtcDateTime | None = None
    cost_accumulated: Money = Decimal("0")


class QueueStatus(CamelModel):
    """Where a queued analysis stands in line."""

    position: int = Field(ge=0)
    estimated_wait: float = Field(ge=0, description="Seconds until a worker is expected to start it.")
    available_workers: int = Field(ge=0)
    total_workers: int = Field(ge=0)
