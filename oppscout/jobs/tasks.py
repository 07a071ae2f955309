"""The arq tasks: one per stage. Each runs its stage through the runner, then queues the next."""

from __future__ import annotations

import logging
import time
from typing import Any

from arq import Retry

from oppscout.core.contract import STAGES, Stage
from oppscout.core.errors import AppError, QueueUnavailableError, SourceOutageError
from oppscout.core.log_context import job_context
from oppscout.core.runner import AnalysisRunner
from oppscout.jobs.database_watch import DatabaseWatch
from oppscout.jobs.lease import leased
from oppscout.jobs.metrics import WorkerMetrics
from oppscout.jobs.queue import AnalysisQueue
from oppscout.jobs.sweeper import Sweeper

log = logging.getLogger(__name__)


async def _run_stage(ctx: dict[str, Any], analysis_id: str, stage: Stage) -> str:
    metrics: WorkerMetrics | None = ctx.get("metrics")
    if metrics is not None:
        metrics.record_queue_wait(stage.value, ctx)
    started = time.monotonic()
    outcome = "retry"
    runner: AnalysisRunner = ctx["runner"]
    try:
        with job_context(analysis_id, stage.value):
            async with leased(ctx.get("redis"), ctx.get("job_id"), runner.settings.stage_lease_seconds):
                outcome = await _run_step(ctx, analysis_id, stage)
            return outcome
    finally:
        # A cancelled run (shutdown, timeout) counts as "retry": arq hands the job out again.
        if metrics is not None:
            metrics.record_stage(stage.value, outcome, time.monotonic() - started)


async def _run_step(ctx: dict[str, Any], analysis_id: str, stage: Stage) -> str:
    runner: AnalysisRunner = ctx["runner"]
    queue: AnalysisQueue = ctx["queue"]
    steps = {
        Stage.REDDIT_COLLECTION: runner.collect_posts,
        Stage.COMMENT_PROCESSING: runner.process_comments,
        Stage.AI_ANALYSIS: runner.analyze,
    }
    try:
        go_on = await steps[stage](analysis_id)
    except SourceOutageError as error:
        # Reddit is down: the analysis waits in the queue (and says so) rather than failing at once.
        tries_left = ctx["max_tries"] - ctx.get("job_try", 1)
        defer = await runner.wait_for_source(analysis_id, stage, error, tries_left=tries_left)
        if defer is None:
            return "failed"
        raise Retry(defer=defer) from error
    except AppError as error:
        await runner.fail(analysis_id, error)
        return "failed"
    except Exception as error:
        await _check_database(ctx, after_failure=True)
        tries: int = ctx.get("job_try", 1)
        if tries < ctx["max_tries"]:
            log.warning("stage %s failed, retrying", stage.value, exc_info=error)
            raise Retry(defer=min(30, 2**tries)) from error
        await runner.fail(analysis_id, error)
        return "failed"
    await _check_database(ctx, after_failure=False)
    following = STAGES.index(stage) + 1
    if go_on and following < len(STAGES):
        try:
            await queue.enqueue(analysis_id, STAGES[following])
        except QueueUnavailableError:
            # The reconciler queues the next stage once Redis answers again.
            log.warning("could not queue the next stage")
    log.info("stage %s done", stage.value)
    return "done"


async def _check_database(ctx: dict[str, Any], *, after_failure: bool) -> None:
    """Tell /health about the database as soon as a stage shows how it is: a failed stage may be the
    start of an outage; a stage that succeeded during one may be its end. Never raises."""
    watch: DatabaseWatch | None = ctx.get("database_watch")
    if watch is not None and (after_failure or watch.failing is not None):
        await watch.tick()


async def reddit_collection(ctx: dict[str, Any], analysis_id: str) -> str:
    """Stage 1: collect the posts of the request."""
    return await _run_stage(ctx, analysis_id, Stage.REDDIT_COLLECTION)


async def comment_processing(ctx: dict[str, Any], analysis_id: str) -> str:
    """Stage 2: collect the comments of the posts worth reading."""
    return await _run_stage(ctx, analysis_id, Stage.COMMENT_PROCESSING)


async def ai_analysis(ctx: dict[str, Any], analysis_id: str) -> str:
    """Stage 3: find and rank opportunities, then deliver the summary."""
    return await _run_stage(ctx, analysis_id, Stage.AI_ANALYSIS)


async def reconcile(ctx: dict[str, Any]) -> int:
    """Cron: mend unfinished analyses without a live job (Redis lost it, arq gave up on it); see ``sweeper``."""
    sweeper: Sweeper = ctx["sweeper"]
    watch: DatabaseWatch | None = ctx.get("database_watch")
    # While the database fails for this worker, the watch reports it (logged once) and the sweep,
    # whose every write would fail, waits for a tick at which it works again.
    if watch is not None and not await watch.tick():
        return 0
    try:
        return (await sweeper.sweep()).mended
    except Exception as error:  # noqa: BLE001 - the database or Redis is away; the next tick sweeps again
        log.warning("sweep skipped: %s: %s", type(error).__name__, error)
        return 0


async def purge_reddit_text(ctx: dict[str, Any]) -> int:
    """Cron: delete raw Reddit text older than the retention (cache, dumps, items of finished analyses)."""
    from datetime import timedelta

    from oppscout.core.contract import utcnow
    from oppscout.core.db.repositories.reddit_cache import RedditCacheRepository

    runner: AnalysisRunner = ctx["runner"]
    cutoff = utcnow() - timedelta(days=runner.settings.reddit_retention_days)
    async with runner.database.unit_of_work() as session:
        purged = await RedditCacheRepository(session).purge_before(cutoff)
    if purged.posts or purged.comments or purged.analysis_items:
        log.info(
            "purged raw Reddit text older than %s: %d posts, %d comments, %d analysis items",
            cutoff.date(),
            purged.posts,
            purged.comments,
            purged.analysis_items,
        )
    return purged.posts + purged.comments + purged.analysis_items
