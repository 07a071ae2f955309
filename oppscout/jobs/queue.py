"""The analysis queue on arq: enqueue by analysis id, position in line, wait estimate, workers.

Job ids are derived from the analysis id (the first stage's job id *is* the analysis id), so
enqueuing the same analysis twice finds the existing job and creates nothing.

First come, first served: arq hands out the ready job with the lowest score, and a job's score is
the time it may run from. Every stage of an analysis is queued with the time its first stage was
queued (kept in Redis under ``PLACE_KEY_PREFIX``), so a later stage takes the place of the analysis
in line instead of going to the back of it.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix, retry_key_prefix
from redis.exceptions import RedisError

from oppscout.core.contract import STAGES, QueueStatus, Stage
from oppscout.core.errors import QueueUnavailableError

WORKER_KEY_PREFIX = "oppscout:worker:"
RESCUE_KEY_PREFIX = "oppscout:rescue:"
RESCUE_TTL_SECONDS = 7 * 86400


class JobState(StrEnum):
    """What Redis holds of one stage job."""

    WAITING = "waiting"
    RUNNING = "running"
    ENDED = "ended"
    MISSING = "missing"


PLACE_KEY_PREFIX = "oppscout:place:"
PLACE_TTL_SECONDS = 7 * 86400
# arq lets a job expire a day after its score; a place older than this is not kept (the job would expire).
MAX_PLACE_AGE_MS = 12 * 3600 * 1000
CRON_JOB_PREFIX = "cron:"
DEFAULT_ANALYSIS_SECONDS = 30.0


def stage_job_id(analysis_id: str, stage: Stage) -> str:
    """The arq job id of one stage of an analysis."""
    return analysis_id if stage == Stage.REDDIT_COLLECTION else f"{analysis_id}:{stage.value}"


def analysis_id_of(job_id: str) -> str:
    """The analysis a stage job belongs to."""
    return job_id.split(":", 1)[0]


@dataclass(frozen=True)
class LineSnapshot:
    """The line at one moment: analyses waiting (first to run first), analyses running, and capacity."""

    waiting: list[str]
    running: set[str]
    waiting_jobs: int
    busy_slots: int
    slots: int
    workers: int

    @property
    def free_slots(self) -> int:
        """Slots no job occupies now."""
        return max(0, self.slots - self.busy_slots)

    @property
    def available_workers(self) -> int:
        """Live workers with a free slot (exact with one slot per worker)."""
        return min(self.workers, self.free_slots)


class AnalysisQueue:
    """Puts stage jobs on the arq queue and answers questions about the line."""

    def __init__(self, redis: ArqRedis, queue_name: str) -> None:
        self.redis = redis
        self.queue_name = queue_name

    async def _place(self, analysis_id: str) -> datetime:
        """When the analysis first joined the line (set now on its first enqueue)."""
        key = PLACE_KEY_PREFIX + analysis_id
        now_ms = int(time.time() * 1000)
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(key, now_ms, nx=True, ex=PLACE_TTL_SECONDS)
        pipe.get(key)
        _, raw = await pipe.execute()
        place_ms = int(raw) if raw is not None else now_ms
        if now_ms - place_ms > MAX_PLACE_AGE_MS:
            place_ms = now_ms
        return datetime.fromtimestamp(min(place_ms, now_ms) / 1000, UTC)

    async def enqueue(self, analysis_id: str, stage: Stage = Stage.REDDIT_COLLECTION) -> bool:
        """Queue a stage of an analysis in the analysis's place in line; False when that job already exists."""
        try:
            place = await self._place(analysis_id)
            job = await self.redis.enqueue_job(
                stage.value,
                analysis_id,
                _job_id=stage_job_id(analysis_id, stage),
                _queue_name=self.queue_name,
                _defer_until=place,
            )
        except (RedisError, OSError) as exc:
            raise QueueUnavailableError(
                "The job queue is unreachable right now. Your analysis is saved and will start as soon as it is back."
            ) from exc
        return job is not None

    async def is_known(self, analysis_id: str, stage: Stage) -> bool:
        """Whether Redis holds the stage's job: waiting, running or just finished."""
        job_id = stage_job_id(analysis_id, stage)
        keys = (job_key_prefix + job_id, in_progress_key_prefix + job_id, result_key_prefix + job_id)
        try:
            return bool(await self.redis.exists(*keys))
        except (RedisError, OSError) as exc:
            raise QueueUnavailableError("The job queue is unreachable right now.") from exc

    async def job_state(self, analysis_id: str, stage: Stage) -> JobState:
        """What Redis knows of a stage's job: waiting or running (a live job), ended, or nothing."""
        job_id = stage_job_id(analysis_id, stage)
        pipe = self.redis.pipeline(transaction=False)
        for prefix in (in_progress_key_prefix, job_key_prefix, result_key_prefix):
            pipe.exists(prefix + job_id)
        running, waiting, ended = await pipe.execute()
        if running:
            return JobState.RUNNING
        if waiting:
            return JobState.WAITING
        return JobState.ENDED if ended else JobState.MISSING

    async def forget_ended(self, analysis_id: str, stage: Stage) -> None:
        """Drop what arq keeps of a stage's ended job (its result and try count), so it can be queued afresh.

        arq refuses to queue a job id whose result it still holds, and counts tries per job id: a
        job dropped as "max retries exceeded" would be dropped again at once without this."""
        job_id = stage_job_id(analysis_id, stage)
        await self.redis.delete(result_key_prefix + job_id, retry_key_prefix + job_id)

    async def count_rescue(self, analysis_id: str, stage: Stage) -> int:
        """Count one more time the sweeper queues this stage again after its job ended; returns the count."""
        key = RESCUE_KEY_PREFIX + stage_job_id(analysis_id, stage)
        count = int(await self.redis.incr(key))
        await self.redis.expire(key, RESCUE_TTL_SECONDS)
        return count

    async def any_stage_running(self, analysis_id: str) -> bool:
        """Whether a worker is running any stage of the analysis now."""
        keys = [in_progress_key_prefix + stage_job_id(analysis_id, s) for s in STAGES]
        return bool(await self.redis.exists(*keys))

    async def snapshot(self) -> LineSnapshot:
        """The line now, in the order arq hands jobs out (by score), and the live capacity.

        Busy slots are counted from the jobs running now (arq's in-progress keys), not from the
        workers' heartbeats, which are seconds old; the heartbeats say which workers are alive.
        """
        entries = await self.redis.zrange(self.queue_name, 0, -1)
        job_ids = [e.decode() if isinstance(e, bytes) else str(e) for e in entries]
        flags: list[int] = []
        if job_ids:
            pipe = self.redis.pipeline(transaction=False)
            for job_id in job_ids:
                pipe.exists(in_progress_key_prefix + job_id)
            flags = await pipe.execute()
        running: set[str] = set()
        waiting: list[str] = []
        waiting_jobs = 0
        busy = 0
        for job_id, flag in zip(job_ids, flags, strict=True):
            if flag:
                busy += 1
                if not job_id.startswith(CRON_JOB_PREFIX):
                    running.add(analysis_id_of(job_id))
            elif not job_id.startswith(CRON_JOB_PREFIX):
                waiting_jobs += 1
                analysis = analysis_id_of(job_id)
                if analysis not in waiting:
                    waiting.append(analysis)
        slots, workers = await self._capacity()
        return LineSnapshot(
            waiting=[a for a in waiting if a not in running],
            running=running,
            waiting_jobs=waiting_jobs,
            busy_slots=busy,
            slots=slots,
            workers=workers,
        )

    async def _capacity(self) -> tuple[int, int]:
        """(job slots, live workers) of this queue, from the workers' heartbeats."""
        slots = workers = 0
        async for key in self.redis.scan_iter(match=WORKER_KEY_PREFIX + "*"):
            raw = await self.redis.get(key)
            if raw is None:
                continue
            beat = json.loads(raw)
            if beat.get("queue", self.queue_name) != self.queue_name:
                continue
            workers += 1
            slots += max(1, int(beat.get("concurrency", 1)))
        return slots, workers

    async def waiting_job_ids(self) -> list[str]:
        """Stage job ids in line, first to run first, without those a worker already runs (nor crons)."""
        entries = await self.redis.zrange(self.queue_name, 0, -1)
        job_ids = [e.decode() if isinstance(e, bytes) else str(e) for e in entries]
        job_ids = [j for j in job_ids if not j.startswith(CRON_JOB_PREFIX)]
        if not job_ids:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for job_id in job_ids:
            pipe.exists(in_progress_key_prefix + job_id)
        flags = await pipe.execute()
        return [j for j, busy in zip(job_ids, flags, strict=True) if not busy]

    async def depth(self) -> int:
        """How many stage jobs wait for a worker."""
        return len(await self.waiting_job_ids())

    async def workers(self) -> tuple[int, int]:
        """(workers with a free slot now, all live workers)."""
        line = await self.snapshot()
        return line.available_workers, line.workers

    async def status(self, analysis_id: str, recent_durations: Sequence[float]) -> QueueStatus:
        """Position in line (1 = next; 0 = not waiting, ``running`` says if it runs) and the expected wait.

        The wait counts the analyses ahead that no free slot takes now, in rounds of every slot, each
        round one typical analysis long; it falls as the line moves.
        """
        try:
            line = await self.snapshot()
        except (RedisError, OSError) as exc:
            raise QueueUnavailableError("The job queue is unreachable right now.") from exc
        per_analysis = statistics.median(recent_durations) if recent_durations else DEFAULT_ANALYSIS_SECONDS
        if analysis_id in line.running or analysis_id not in line.waiting:
            return QueueStatus(
                position=0,
                estimated_wait=0,
                available_workers=line.available_workers,
                total_workers=line.workers,
                running=analysis_id in line.running,
            )
        position = line.waiting.index(analysis_id) + 1
        beyond_free = max(0, position - line.free_slots)
        rounds = math.ceil(beyond_free / line.slots) if line.slots else position
        return QueueStatus(
            position=position,
            estimated_wait=round(rounds * per_analysis, 1),
            available_workers=line.available_workers,
            total_workers=line.workers,
        )
