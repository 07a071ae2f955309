"""Keeps a worker working through Redis outages of any length, and stops it cleanly when asked.

arq's worker loop ends at the first Redis error of its poll; left alone, ``oppscout worker`` then
exited with status 0 and nothing said why, and jobs that finished meanwhile died with "Task exception
was never retrieved". ``supervise`` runs the loop instead: on a Redis error it says so once, lets
running stages go on (they need the database, not Redis), waits for Redis with growing pauses, and
runs the loop again once Redis answers. The worker's start-up sweep then re-queues whatever Redis
lost (a restarted Redis keeps nothing: the database is the truth).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from arq import Worker
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from oppscout.jobs.worker import stop_worker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """Pauses between tries to reach Redis: ``first``, doubling, at most ``most`` seconds."""

    # Short: a ping costs nothing, and the longest pause is how late a worker notices Redis is back.
    first: float = 0.25
    most: float = 5.0

    def pause(self, attempt: int) -> float:
        """The pause after ``attempt`` failed tries (0-based)."""
        return float(min(self.most, self.first * 2**attempt))


def is_outage(error: BaseException) -> bool:
    """Whether an error means Redis cannot be reached (as opposed to a bug, or Redis refusing a command)."""
    return isinstance(error, RedisConnectionError | RedisTimeoutError | OSError | TimeoutError)


async def supervise(worker: Worker, stopping: asyncio.Event, *, grace: float, backoff: Backoff = Backoff()) -> None:
    """Run ``worker`` until ``stopping`` is set (or, in burst mode, until the queue is empty).

    Redis outages are waited out; any other error of the loop stops the worker and is raised.
    Running stages get ``grace`` seconds when stopping, then are cancelled (they run again later).
    """
    while True:
        loop_task = asyncio.create_task(worker.async_run(), name="arq worker")
        stop_wait = asyncio.create_task(stopping.wait(), name="stop signal")
        await asyncio.wait([loop_task, stop_wait], return_when=asyncio.FIRST_COMPLETED)
        stop_wait.cancel()
        if stopping.is_set() or not loop_task.done() or loop_task.cancelled():
            await stop_worker(worker, loop_task, grace=grace)
            return
        error = loop_task.exception()
        if error is None or not is_outage(error):
            await stop_worker(worker, loop_task, grace=grace)
            if error is not None:
                raise error
            return  # burst mode: the queue is empty
        if await _answers(worker):
            # A job that began recording its end during the outage failed just after Redis came back,
            # and arq's poll re-raised it: no new outage, so carry on without announcing one.
            _collect_finished(worker)
            log.warning("the worker loop stopped on a Redis error (%s) while Redis answers; resuming", error)
            await asyncio.sleep(backoff.first)  # never a busy loop, whatever the error
            continue
        lost_at = time.monotonic()
        log.error(
            "Redis is unreachable (%s: %s); this worker pauses, tries again with growing waits and resumes by itself",
            type(error).__name__,
            error,
        )
        back = await _wait_for_redis(worker, stopping, backoff)
        _collect_finished(worker)
        if not back:
            await stop_worker(worker, loop_task, grace=grace)
            return
        log.warning("Redis answers again after %.1f s; this worker resumes", time.monotonic() - lost_at)


async def _answers(worker: Worker) -> bool:
    try:
        await asyncio.wait_for(worker.pool.ping(), timeout=2)
    except (RedisError, OSError, TimeoutError):
        return False
    return True


async def _wait_for_redis(worker: Worker, stopping: asyncio.Event, backoff: Backoff) -> bool:
    """Ping Redis with growing pauses until it answers (True) or the worker is told to stop (False)."""
    attempt = 0
    while not stopping.is_set():
        try:
            await asyncio.wait_for(worker.pool.ping(), timeout=5)
            return True
        except (RedisError, OSError, TimeoutError) as error:
            log.debug("Redis still unreachable (%s)", error)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=backoff.pause(attempt))
        attempt += 1
    return False


def _collect_finished(worker: Worker) -> None:
    """Take the outcome of every job that ended during the outage out of arq's task table.

    arq re-raises a finished job's error in its next poll, which would end the loop again at once;
    and a job whose end could not be written to Redis must not leave "Task exception was never
    retrieved". The stage itself finished or will run again: its job stays in Redis's queue.
    """
    for job_id, task in list(worker.tasks.items()):
        if not task.done():
            continue
        del worker.tasks[job_id]
        if task.cancelled():
            continue
        error = task.exception()
        if error is not None:
            log.warning("job %s could not record its end while Redis was away: %s", job_id, error)
