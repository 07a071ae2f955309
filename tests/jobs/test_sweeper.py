"""The sweeper: an analysis left without a live job is queued again a bounded number of times, then failed
with a message, and never sits in ``processing`` forever.

The states are the ones arq really leaves behind: a job whose workers died ``stage_max_tries`` times
is dropped by the next worker as "max retries exceeded" (its try counter is past the limit), and
its result key then keeps the old reconciler from queuing it again.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from arq.constants import retry_key_prefix

from oppscout.core.analysis.engine import LocalEngine
from oppscout.core.contract import AnalysisStatus, Stage
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.repositories.stage_jobs import StageJobRepository
from oppscout.core.errors import InvalidRequestError
from oppscout.core.events import CompletedEvent, FailedEvent
from oppscout.core.ports import CommentBatch, PostBatch
from oppscout.core.runner import AnalysisRunner
from oppscout.jobs.event_bus import EventSubscription
from oppscout.jobs.queue import JobState
from oppscout.jobs.sources.demo import DemoSource
from oppscout.jobs.sweeper import Sweeper, SweepResult
from oppscout.jobs.worker import build_worker, stop_worker
from oppscout.runtime import Runtime
from tests.helpers import make_request, read_only_database
from tests.jobs.worker_harness import events_until_final, running_worker


async def interrupted(runtime: Runtime, starts: int) -> str:
    """An analysis whose first stage was started ``starts`` times by workers that all died, as arq keeps it."""
    submission = await runtime.service.submit(make_request())
    analysis_id = submission.analysis_id
    async with runtime.database.unit_of_work() as session:
        await AnalysisRepository(session).mark_processing(analysis_id)
        for _ in range(starts):
            await StageJobRepository(session).start(analysis_id, Stage.REDDIT_COLLECTION)
    # Each start counted one arq try; the dead workers never finished any.
    await runtime.redis.set(retry_key_prefix + analysis_id, runtime.settings.stage_max_tries)
    return analysis_id


async def until_dropped(runtime: Runtime, analysis_id: str) -> None:
    async with asyncio.timeout(20):
        while await runtime.queue.job_state(analysis_id, Stage.REDDIT_COLLECTION) is not JobState.ENDED:
            await asyncio.sleep(0.05)


async def test_an_analysis_interrupted_as_often_as_allowed_fails_with_a_message_instead_of_staying_processing(
    runtime: Runtime,
) -> None:
    tries = runtime.settings.stage_max_tries
    async with EventSubscription(runtime.redis) as subscription:
        analysis_id = await interrupted(runtime, starts=tries)
        async with running_worker(runtime) as worker:
            await until_dropped(runtime, analysis_id)  # arq: "max retries exceeded"
            assert (await runtime.service.get(analysis_id)).status == AnalysisStatus.PROCESSING

            sweeper: Sweeper = worker.ctx["sweeper"]
            swept = await sweeper.sweep(grace=timedelta(0))
            events = await events_until_final(subscription, analysis_id, limit=10)

    assert swept.failed == [analysis_id]
    final = events[-1]
    assert isinstance(final, FailedEvent)
    assert f"collecting posts was interrupted {tries} times" in final.message
    response = await runtime.service.get(analysis_id)
    assert response.status == AnalysisStatus.FAILED
    assert response.metadata.error == final.message
    assert (await sweeper.sweep(grace=timedelta(0))).mended == 0  # once failed, left alone


async def test_an_analysis_dropped_by_arq_with_tries_left_is_queued_afresh_and_completes_once(
    runtime: Runtime,
) -> None:
    async with EventSubscription(runtime.redis) as subscription:
        analysis_id = await interrupted(runtime, starts=1)
        async with running_worker(runtime) as worker:
            await until_dropped(runtime, analysis_id)

            swept = await worker.ctx["sweeper"].sweep(grace=timedelta(0))
            events = await events_until_final(subscription, analysis_id, limit=60)

    assert swept.requeued == [analysis_id]
    assert sum(isinstance(e, CompletedEvent) for e in events) == 1
    assert (await runtime.service.get(analysis_id)).status == AnalysisStatus.COMPLETED
    async with runtime.database.unit_of_work() as session:
        job = await StageJobRepository(session).get(analysis_id, Stage.REDDIT_COLLECTION)
    assert job is not None
    assert job.attempts == 2


async def test_an_analysis_whose_jobs_redis_forgot_is_queued_again_and_completes(runtime: Runtime) -> None:
    async with EventSubscription(runtime.redis) as subscription:
        analysis_id = (await runtime.service.submit(make_request())).analysis_id
        await runtime.redis.flushdb()  # Redis restarted without persistence
        async with running_worker(runtime) as worker:
            swept = await worker.ctx["sweeper"].sweep(grace=timedelta(0))
            events = await events_until_final(subscription, analysis_id, limit=60)
    assert swept.requeued == [analysis_id]
    assert isinstance(events[-1], CompletedEvent)


class FailsWhileTheDiskIsFull:
    """A source whose request cannot be served; the disk fills up just as the analysis is being failed."""

    name = "demo"

    def __init__(self, runner_holder: dict[str, AnalysisRunner], full: Database) -> None:
        self.runner_holder = runner_holder
        self.full = full
        self.calls = 0

    async def fetch_posts(self, request: object, on_progress: object, meter: object = None) -> PostBatch:
        self.calls += 1
        runner = self.runner_holder["runner"]
        if self.calls == 1:
            self.writable = runner.database
            runner.database = self.full  # from here on, every write fails
        raise InvalidRequestError("None of the subreddits can be analysed.")

    async def fetch_comments(self, *args: object, **kwargs: object) -> CommentBatch:
        raise AssertionError("never reached")

    async def still_visible(self, items: object) -> set[str]:
        return set()


async def test_an_analysis_whose_failure_could_not_be_written_is_failed_with_its_message_once_writes_work(
    runtime: Runtime,
) -> None:
    full = read_only_database(runtime.settings.resolved_database_url)
    holder: dict[str, AnalysisRunner] = {}
    source = FailsWhileTheDiskIsFull(holder, full)
    worker = build_worker(runtime, source=source, engine=LocalEngine(), handle_signals=False)
    holder["runner"] = worker.ctx["runner"]
    task = asyncio.create_task(worker.async_run())
    try:
        async with EventSubscription(runtime.redis) as subscription:
            analysis_id = (await runtime.service.submit(make_request())).analysis_id
            await until_dropped(runtime, analysis_id)  # the job ended: its failure could not be saved
            assert (await runtime.service.get(analysis_id)).status == AnalysisStatus.PROCESSING

            holder["runner"].database = source.writable  # the disk was freed
            swept = await worker.ctx["sweeper"].sweep(grace=timedelta(0))
            events = await events_until_final(subscription, analysis_id, limit=30)
    finally:
        await stop_worker(worker, task)
        await full.close()
    assert swept.requeued == [analysis_id]
    final = events[-1]
    assert isinstance(final, FailedEvent)
    assert "None of the subreddits can be analysed." in final.message
    assert (await runtime.service.get(analysis_id)).status == AnalysisStatus.FAILED


async def test_a_job_that_ends_before_its_stage_starts_is_retried_a_bounded_number_of_times_then_failed(
    runtime: Runtime,
) -> None:
    # A worker that cannot run the first stage (say, an older version without it): arq ends each job
    # at once, before the stage ever starts, so the stage's own attempt count stays at 0.
    worker = build_worker(runtime, source=DemoSource(), engine=LocalEngine(), handle_signals=False)
    del worker.functions["reddit-collection"]
    task = asyncio.create_task(worker.async_run())
    sweeps: list[SweepResult] = []
    try:
        analysis_id = (await runtime.service.submit(make_request())).analysis_id
        async with asyncio.timeout(60):
            while not sweeps or not sweeps[-1].failed:
                await until_dropped(runtime, analysis_id)
                sweeps.append(await worker.ctx["sweeper"].sweep(grace=timedelta(0)))
    finally:
        await stop_worker(worker, task)
    tries = runtime.settings.stage_max_tries
    assert [bool(s.requeued) for s in sweeps] == [True] * tries + [False]
    response = await runtime.service.get(analysis_id)
    assert response.status == AnalysisStatus.FAILED
    assert response.metadata.error is not None
    assert f"interrupted {tries + 1} times" in response.metadata.error
