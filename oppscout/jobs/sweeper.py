"""The sweeper: no analysis stays ``queued`` or ``processing`` without a live job.

The database row is the truth and the arq job only its trigger, so every unfinished analysis must
have a job waiting or running for its next stage. The sweeper, run by every worker's reconcile
cron, looks at each one older than a few seconds and mends what it finds:

- **no job at all** (Redis restarted and forgot it): queue the next stage again;
- **the job ended but the stage did not** (arq dropped it as "max retries exceeded" after its
  worker died again and again, or the stage's failure could not be written while the disk was
  full): queue the stage afresh while it has tries left, else fail the analysis with a message
  in its thread;
- **every stage done but the summary never delivered**: deliver it (delivery happens once);
- **a cancel that no running job will see**: finish the cancellation.

Each analysis is handled on its own: one that cannot be mended now (the database still refuses
writes) is logged and tried again at the next sweep.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from redis.exceptions import RedisError

from oppscout.core.contract import STAGES, AnalysisStatus, Stage, utcnow
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.repositories.stage_jobs import StageJobRepository
from oppscout.core.db.tables import AnalysisRow, StageJobRow
from oppscout.core.errors import AnalysisCancelledError, AppError, QueueUnavailableError
from oppscout.core.runner import AnalysisRunner
from oppscout.jobs.queue import AnalysisQueue, JobState

log = logging.getLogger(__name__)

# A row younger than this may still be on its way to the queue (its submitter enqueues after commit).
SWEEP_GRACE = timedelta(seconds=5)


class InterruptedTooOftenError(AppError):
    """A stage that kept stopping before it finished (its worker died, or it could not save its state)."""


def interrupted_message(stage: Stage, attempts: int) -> str:
    """What the user is told when a stage was interrupted as often as it may be."""
    return (
        f"Sorry, this analysis stopped: {stage.label} was interrupted {attempts} times before it could finish, "
        "so it will not be tried again. Nothing more will be charged; please try again later."
    )


@dataclass
class SweepResult:
    """What one sweep did, by analysis id."""

    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)

    @property
    def mended(self) -> int:
        """How many analyses the sweep acted on."""
        return len(self.requeued) + len(self.failed) + len(self.delivered) + len(self.cancelled)


class Sweeper:
    """Finds unfinished analyses without a live job and mends them, within ``max_attempts`` per stage."""

    def __init__(self, runner: AnalysisRunner, queue: AnalysisQueue, *, max_attempts: int) -> None:
        self.runner = runner
        self.queue = queue
        self.max_attempts = max_attempts

    async def sweep(self, *, grace: timedelta = SWEEP_GRACE) -> SweepResult:
        """One pass over every unfinished analysis; Redis errors propagate (the cron tries again later)."""
        result = SweepResult()
        cutoff = utcnow() - grace
        async with self.runner.database.unit_of_work() as session:
            analyses = AnalysisRepository(session)
            rows = [
                *await analyses.list_queued(created_before=cutoff),
                *await analyses.list_processing(started_before=cutoff),
            ]
        for row in rows:
            try:
                await self._mend(row, result)
            except (QueueUnavailableError, RedisError, OSError):
                raise  # Redis is away: the whole sweep waits for the next tick
            except Exception as error:  # noqa: BLE001 - one analysis must not stop the sweep of the others
                log.warning("could not mend analysis %s (tried again at the next sweep): %s", row.id, error)
        if result.mended:
            log.info(
                "sweep: %d re-queued, %d failed, %d delivered, %d cancelled",
                len(result.requeued),
                len(result.failed),
                len(result.delivered),
                len(result.cancelled),
            )
        return result

    async def _mend(self, row: AnalysisRow, result: SweepResult) -> None:
        async with self.runner.database.unit_of_work() as session:
            stages = {Stage(r.stage): r for r in await StageJobRepository(session).list_for(row.id)}
        stage = _next_stage(stages)
        states = {s: await self.queue.job_state(row.id, s) for s in STAGES}
        if any(state in (JobState.WAITING, JobState.RUNNING) for state in states.values()):
            return  # a live job will move it on
        if row.cancel_requested:
            await self.runner.fail(row.id, AnalysisCancelledError())
            result.cancelled.append(row.id)
            return
        if stage is None:
            # Every stage is done; only the summary is missing (its write failed). Delivery is once-only.
            await self.runner.deliver(row.id)
            result.delivered.append(row.id)
            return
        attempts = stages[stage].attempts if stage in stages else 0
        if states[stage] is JobState.ENDED:
            # A job can also end before its stage ever starts (a worker dying while it loads the job):
            # the sweeper's own rescues are counted too, so the retries stay bounded either way.
            rescues = await self.queue.count_rescue(row.id, stage)
            if attempts >= self.max_attempts or rescues > self.max_attempts:
                attempts = max(attempts, rescues)
                log.warning(
                    "stage %s of analysis %s ended unfinished after %d attempts; failing it", stage, row.id, attempts
                )
                await self.runner.fail(row.id, InterruptedTooOftenError(interrupted_message(stage, attempts)))
                result.failed.append(row.id)
                return
            await self.queue.forget_ended(row.id, stage)
        if await self.queue.enqueue(row.id, stage):
            log.warning("analysis %s had no live job; %s queued again (attempt %d so far)", row.id, stage, attempts)
            async with self.runner.database.unit_of_work() as session:
                await AnalysisRepository(session).set_enqueued(row.id)
            result.requeued.append(row.id)


def _next_stage(stages: dict[Stage, StageJobRow]) -> Stage | None:
    for stage in STAGES:
        row = stages.get(stage)
        if row is None or row.status != AnalysisStatus.COMPLETED:
            return stage
    return None
