"""When an analysis is expected to be done: overall progress across stages and each stage's estimate.

The contract's ``WorkerJobStatus.estimatedCompletion`` is always a date, so every stage gets an
estimate, from its own progress while it runs, and from how long recent runs of that stage took
before it starts. The estimate is re-made on every read: it moves as the line and the stage move.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from oppscout.core.contract import STAGES, AnalysisStatus, Stage, WorkerJobStatus

# Share of the overall percent each stage stands for: collection is the longest part of a typical run.
STAGE_WEIGHTS: Mapping[Stage, int] = {
    Stage.REDDIT_COLLECTION: 40,
    Stage.COMMENT_PROCESSING: 30,
    Stage.AI_ANALYSIS: 30,
}
# Seconds a stage is assumed to take before any run of it has been timed on this deployment.
DEFAULT_STAGE_SECONDS = 10.0


def overall_percent(stage: Stage, stage_percent: int) -> int:
    """The analysis's percent (0-100 across all stages) when ``stage`` is ``stage_percent`` done."""
    before = sum(STAGE_WEIGHTS[s] for s in STAGES[: STAGES.index(stage)])
    return min(100, before + STAGE_WEIGHTS[stage] * max(0, min(100, stage_percent)) // 100)


@dataclass(frozen=True)
class StageRun:
    """What is known about one stage of one analysis (a ``stage_jobs`` row, read by the service)."""

    stage: Stage
    status: AnalysisStatus
    progress: int
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    estimated_completion: datetime | None
    cost_accumulated: Decimal

    @property
    def retries(self) -> int:
        """How many times the stage was tried again after its first attempt."""
        return max(0, self.attempts - 1)


def typical_seconds(durations: Mapping[Stage, Sequence[float]]) -> dict[Stage, float]:
    """The median recent duration of each stage, or a default for stages never timed here."""
    return {s: statistics.median(durations[s]) if durations.get(s) else DEFAULT_STAGE_SECONDS for s in STAGES}


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands datetimes back without their zone; they were stored in UTC.
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _running_end(run: StageRun, typical: float, now: datetime) -> datetime:
    stored = _aware(run.estimated_completion)
    if stored is not None and stored > now:
        return stored
    started = _aware(run.started_at) or now
    elapsed = max(0.0, (now - started).total_seconds())
    fraction = run.progress / 100
    # With nothing measurable yet, assume a typical run; once that is exceeded, a little more each read.
    left = elapsed * (1 - fraction) / fraction if fraction > 0.02 else max(typical - elapsed, typical * 0.1)
    return now + timedelta(seconds=max(1.0, left))


def job_statuses(
    analysis_id: str,
    analysis_status: AnalysisStatus,
    runs: Sequence[StageRun],
    *,
    typical: Mapping[Stage, float],
    wait_seconds: float,
    now: datetime,
) -> list[WorkerJobStatus]:
    """Every stage job of an analysis in stage order, each with an estimated completion.

    Stages that ran (or run) come from their rows; while the analysis is not final, the stages it has
    not reached are listed as ``queued``, starting after the one before them (the first after
    ``wait_seconds`` in line). A final analysis lists only the stages that ran.
    """
    by_stage = {r.stage: r for r in runs}
    jobs: list[WorkerJobStatus] = []
    cursor = now
    for stage in STAGES:
        run = by_stage.get(stage)
        seconds = typical[stage]
        if run is None:
            if analysis_status.is_final:
                continue
            start = max(cursor, now + timedelta(seconds=wait_seconds)) if not jobs else cursor
            end = start + timedelta(seconds=seconds)
            jobs.append(_job(analysis_id, stage, AnalysisStatus.QUEUED, 0, end, Decimal("0"), 0))
            cursor = end
            continue
        status = AnalysisStatus(run.status)
        if status.is_final:
            end = _aware(run.finished_at) or now
        elif status == AnalysisStatus.PROCESSING:
            end = _running_end(run, seconds, now)
        else:  # back in line (e.g. Reddit was down): it starts after the wait, then runs a typical time
            end = max(cursor, now + timedelta(seconds=wait_seconds)) + timedelta(seconds=seconds)
        jobs.append(_job(analysis_id, stage, status, run.progress, end, run.cost_accumulated, run.retries))
        cursor = max(cursor, end)
    return jobs


def _job(
    analysis_id: str,
    stage: Stage,
    status: AnalysisStatus,
    progress: int,
    end: datetime,
    cost: Decimal,
    retries: int,
) -> WorkerJobStatus:
    return WorkerJobStatus(
        job_id=f"{analysis_id}:{stage.value}",
        type=stage,
        status=status,
        progress=max(0, min(100, progress)),
        estimated_completion=end,
        cost_accumulated=cost,
        retry_count=retries,
    )


def current_retry_count(jobs: Sequence[WorkerJobStatus]) -> int:
    """Retries of the stage the analysis is at: the first not completed, else the last one."""
    for job in jobs:
        if job.status != AnalysisStatus.COMPLETED:
            return job.retry_count
    return jobs[-1].retry_count if jobs else 0
