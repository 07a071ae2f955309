"""Worker and queue status as the outside world sees it."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from oppscout.core.contract.base import CamelModel, Money, UtcDateTime
from oppscout.core.contract.response import AnalysisStatus, Stage


class WorkerJobStatus(CamelModel):
    """One stage of one analysis, as run by a worker.

    ``status`` may also be ``cancelled``, the product's extension of the contract's four states.
    ``estimatedCompletion`` is always set: an estimate, made again on every read.
    """

    job_id: str
    type: Stage
    status: AnalysisStatus
    progress: int = Field(default=0, ge=0, le=100, description="This stage's own percent.")
    estimated_completion: UtcDateTime = Field(description="When the stage is expected to end (or ended).")
    cost_accumulated: Money = Decimal("0")
    retry_count: int = Field(default=0, ge=0, description="Extension: times the stage was tried again.")


class QueueStatus(CamelModel):
    """Where an analysis stands in line.

    ``position`` is 1 for the next in line; 0 when it is not waiting, and then ``running`` (an extension)
    says whether a worker runs it now.
    """

    position: int = Field(ge=0, description="1 = next in line; 0 = not waiting (running, or finished).")
    estimated_wait: float = Field(ge=0, description="Seconds until a worker is expected to start it.")
    available_workers: int = Field(ge=0, description="Live workers with a free slot now.")
    total_workers: int = Field(ge=0, description="Live workers, by heartbeat.")
    running: bool = Field(default=False, description="Extension: a worker runs one of its stages now.")
