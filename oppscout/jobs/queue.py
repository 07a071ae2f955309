"""The analysis queue on arq: enqueue by analysis id, position in line, wait estimate, workers.

Job ids are derived from the analysis id (the first stage's job id *is* the analysis id), so
enqueuing the same analysis twice finds the existing job and creates nothing.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
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


DEFAULT_ANALYSIS_SECONDS = 30.0


def stage_job_id(analysis_id: str, stage: Stage) -> str:
    """The arq job id of one stage of an analysis."""
    return analysis_id if stage == Stage.REDDIT_COLLECTION else f"{analysis_id}:{stage.value}"


def analysis_id_of(job_id: str) -> str:
    """The analysis a stage job belongs to."""
    return job_id.split(":", 1)[0]


class AnalysisQueue:
    """Puts stage jobs on the arq queue and answers questions about the line."""

    def __init__(self, redis: ArqRedis, queue_name: str) -> None:
        self.redis = redis
        self.queue_name = queue_name

    async def enqueue(self, analysis_id: str, stage: Stage = Stage.REDDIT_COLLECTION) -> bool:
        """Queue a stage of an analysis; False when that job already exists (nothing is added)."""
        try:
            job = await self.redis.enqueue_job(
                stage.value, analysis_id, _job_id=stage_job_id(analysis_id, stage), _queue_name=self.queue_name
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

    async def waiting_job_ids(self) -> list[str]:
        """Job ids in line, first to run first, without those a worker already runs."""
        entries = await self.redis.zrange(self.queue_name, 0, -1)
        job_ids = [e.decode() if isinstance(e, bytes) else str(e) for e in entries]
        if not job_ids:
            return []
        running = await self.redis.exists(*[in_progress_key_prefix + j for j in job_ids]) if job_ids else 0
        if not running:
            return job_ids
        pipe = self.redis.pipeline(transaction=False)
        for job_id in job_ids:
            pipe.exists(in_progress_key_prefix + job_id)
        flags = await pipe.execute()
        return [j for j, busy in zip(job_ids, flags, strict=True) if not busy]

    async def depth(self) -> int:
        """How many jobs wait for a worker."""
        return len(await self.waiting_job_ids())

    async def workers(self) -> tuple[int, int]:
        """(workers with a free slot, all live workers), from their heartbeats."""
        available = total = 0
        async for key in self.redis.scan_iter(match=WORKER_KEY_PREFIX + "*"):
            raw = await self.redis.get(key)
            if raw is None:
                continue
            beat = json.loads(raw)
            total += 1
            if int(beat.get("running", 0)) < int(beat.get("concurrency", 1)):
                available += 1
        return available, total

    async def status(self, analysis_id: str, recent_durations: Sequence[float]) -> QueueStatus:
        """Position in line (0 = next; running jobs are not counted) and the expected wait."""
        try:
            waiting = [analysis_id_of(j) for j in await self.waiting_job_ids()]
            available, total = await self.workers()
        except (RedisError, OSError) as exc:
            raise QueueUnavailableError("The job queue is unreachable right now.") from exc
        position = waiting.index(analysis_id) if analysis_id in waiting else 0
        per_job = statistics.median(recent_durations) if recent_durations else DEFAULT_ANALYSIS_SECONDS
        ahead_of_free_slot = max(0, position + 1 - available)
        rounds = math.ceil(ahead_of_free_slot / max(1, total)) if total else position + 1
        return QueueStatus(
            position=position,
            estimated_wait=round(rounds * per_job, 1),
            available_workers=available,
            total_workers=total,
        )
