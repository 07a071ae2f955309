"""What a paid analysis step needs from its analysis: the cost governor, a store of paid results, a voice.

The runner builds one ``AnalysisBudget`` per ai-analysis stage and hands it to the engine. The
engine reserves and settles every paid call through ``governor``, keeps what each call returned
in ``cache`` under the call's ledger key (so a retried job reuses a paid answer instead of
paying for it again), and reports spend through ``announce``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from oppscout.core.contract import Stage
from oppscout.core.costs import CostGovernor, CostWarning
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.stage_jobs import StageJobRepository

CHECKPOINT_KEY = "llm"


class CallCache(Protocol):
    """Durable answers of paid calls, by ledger key."""

    async def get(self, key: str) -> dict[str, Any] | None:
        """The stored answer of the call ``key``, if it was paid for before."""
        ...

    async def put(self, key: str, value: dict[str, Any]) -> None:
        """Store the answer of the call ``key``."""
        ...


class MemoryCache:
    """A ``CallCache`` in memory, for one-off analyses and tests."""

    def __init__(self) -> None:
        self.values: dict[str, dict[str, Any]] = {}

    async def get(self, key: str) -> dict[str, Any] | None:
        """The stored answer, if any."""
        return self.values.get(key)

    async def put(self, key: str, value: dict[str, Any]) -> None:
        """Store an answer."""
        self.values[key] = value


class StageCheckpointCache:
    """A ``CallCache`` in the ai-analysis stage checkpoint, so it survives a worker crash."""

    def __init__(self, database: Database, analysis_id: str, stage: Stage = Stage.AI_ANALYSIS) -> None:
        self.database = database
        self.analysis_id = analysis_id
        self.stage = stage

    async def get(self, key: str) -> dict[str, Any] | None:
        """The stored answer of the call ``key``, if any."""
        async with self.database.unit_of_work() as session:
            job = await StageJobRepository(session).get(self.analysis_id, self.stage)
        stored = (job.checkpoint or {}).get(CHECKPOINT_KEY, {}) if job else {}
        value = stored.get(key)
        return value if isinstance(value, dict) else None

    async def put(self, key: str, value: dict[str, Any]) -> None:
        """Add the answer of the call ``key`` to the checkpoint, keeping what is there."""
        async with self.database.unit_of_work() as session:
            jobs = StageJobRepository(session)
            job = await jobs.get(self.analysis_id, self.stage)
            if job is None:
                return
            checkpoint = dict(job.checkpoint or {})
            checkpoint[CHECKPOINT_KEY] = {**checkpoint.get(CHECKPOINT_KEY, {}), key: value}
            await jobs.update_progress(self.analysis_id, self.stage, progress=job.progress, checkpoint=checkpoint)


async def _silent(warnings: list[CostWarning]) -> None:
    return None


@dataclass
class AnalysisBudget:
    """The money side of one analysis, as the engine sees it."""

    governor: CostGovernor
    cache: CallCache
    announce: Callable[[list[CostWarning]], Awaitable[None]] = _silent
