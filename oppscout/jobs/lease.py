"""Short, renewed leases on running stage jobs, so the job of a worker that died is taken over in seconds.

arq claims a job with an ``in-progress`` key that lives as long as the job's timeout (the stage
timeout, 15 minutes by default): a worker killed mid-stage held its job that long. While a stage
runs, its worker shortens that key to the lease and renews it every third of the lease; once the
worker is gone, nobody renews it, the key expires and the next worker's poll starts the job again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


async def _renew(redis: ArqRedis, job_id: str, lease_seconds: float) -> None:
    key = in_progress_key_prefix + job_id
    warned = False
    while True:
        try:
            # PEXPIRE only touches a key that exists: a job arq has just finished is never claimed again.
            await redis.pexpire(key, int(lease_seconds * 1000))
            warned = False
        except (RedisError, OSError) as error:
            # The job goes on; if Redis stays away the lease lapses and the stage may run twice,
            # which stages allow (idempotent, paid calls keyed by what they buy).
            if not warned:
                log.warning("could not renew the lease of job %s: %s", job_id, error)
                warned = True
        await asyncio.sleep(lease_seconds / 3)


@contextlib.asynccontextmanager
async def leased(redis: ArqRedis | None, job_id: str | None, lease_seconds: float) -> AsyncIterator[None]:
    """Hold a renewed lease on ``job_id`` for the duration of the block (nothing without a job id)."""
    if redis is None or job_id is None:
        yield
        return
    renewing = asyncio.create_task(_renew(redis, job_id, lease_seconds), name=f"lease {job_id}")
    try:
        yield
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing
