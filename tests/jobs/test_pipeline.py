"""The whole path on embedded Redis and SQLite, through a real arq worker."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from oppscout.core.analysis.engine import LocalEngine
from oppscout.core.contract import AnalysisStatus, Stage
from oppscout.core.conversation.chat import ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.core.corpus import ItemKind, RedditItem
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.db.tables import ItemRow
from oppscout.core.events import CancelledEvent, CompletedEvent, CostEvent, FailedEvent, ProgressEvent, StageEvent
from oppscout.core.service import AnalysisService
from oppscout.jobs.event_bus import EventSubscription
from oppscout.jobs.queue import AnalysisQueue
from oppscout.jobs.sources.demo import DemoSource
from oppscout.jobs.worker import build_worker, stop_worker
from oppscout.runtime import Runtime, connect_redis
from tests.helpers import make_request
from tests.jobs.worker_harness import events_until_final, running_worker, wait_for_status


async def test_an_analysis_goes_queued_processing_completed_with_ordered_events(runtime: Runtime) -> None:
    async with EventSubscription(runtime.redis) as subscription:
        submission = await runtime.service.submit(make_request())
        assert submission.queued
        assert (await runtime.service.get(submission.analysis_id)).status == AnalysisStatus.QUEUED
        async with running_worker(runtime):
            events = await events_until_final(subscription, submission.analysis_id)

    stages = [e.stage for e in events if isinstance(e, StageEvent)]
    assert stages == [Stage.REDDIT_COLLECTION, Stage.COMMENT_PROCESSING, Stage.AI_ANALYSIS]
    seqs = [e.seq for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert isinstance(events[-1], CompletedEvent)
    # Progress within a stage never goes backwards, and neither does the analysis's overall percent.
    for stage in stages:
        within = [
            e.progress.stage_percent for e in events if isinstance(e, ProgressEvent) and e.progress.stage == stage
        ]
        assert within == sorted(within) and within[-1] == 100
    overall = [e.progress.percent for e in events if isinstance(e, ProgressEvent)]
    assert overall == sorted(overall) and overall[-1] == 100

    response = await runtime.service.get(submission.analysis_id)
    assert response.status == AnalysisStatus.COMPLETED
    assert response.results is not None and len(response.results.opportunities) >= 5
    assert response.results.coverage.posts > 100 and response.results.coverage.comments > 300
    assert response.cost_breakdown.reddit_calls > 0
    jobs = await runtime.service.jobs(submission.analysis_id)
    assert [(j.type, j.status, j.progress) for j in jobs] == [
        (Stage.REDDIT_COLLECTION, AnalysisStatus.COMPLETED, 100),
        (Stage.COMMENT_PROCESSING, AnalysisStatus.COMPLETED, 100),
        (Stage.AI_ANALYSIS, AnalysisStatus.COMPLETED, 100),
    ]
    report = events[-1].report_path
    assert report
    assert "# Opportunity report" in Path(report).read_text(encoding="utf-8")


async def test_every_quote_is_verbatim_collected_text_with_its_permalink(runtime: Runtime) -> None:
    submission = await runtime.service.submit(make_request())
    async with running_worker(runtime):
        await wait_for_status(runtime, submission.analysis_id, AnalysisStatus.COMPLETED)
    async with runtime.database.unit_of_work() as session:
        rows = (await session.execute(select(ItemRow).where(ItemRow.analysis_id == submission.analysis_id))).scalars()
        text_by_link = {r.permalink: f"{r.title}\n{r.body}" for r in rows}
    results = (await runtime.service.get(submission.analysis_id)).results
    assert results is not None
    quotes = [q for o in results.opportunities for q in o.quotes]
    assert quotes
    for quote in quotes:
        assert quote.text in text_by_link[quote.permalink]


async def test_enqueuing_the_same_analysis_twice_creates_one_job(runtime: Runtime) -> None:
    submission = await runtime.service.submit(make_request())
    assert not await runtime.queue.enqueue(submission.analysis_id)
    assert await runtime.queue.depth() == 1
    assert await runtime.service.reconcile() == []
    assert await runtime.queue.depth() == 1


async def test_queue_position_counts_only_jobs_waiting_ahead(runtime: Runtime) -> None:
    ids = [(await runtime.service.submit(make_request())).analysis_id for _ in range(3)]
    positions = [(await runtime.service.queue_status(i)).position for i in ids]
    assert positions == [1, 2, 3], "1 is the next in line"
    status = await runtime.service.queue_status(ids[2])
    assert status.total_workers == 0 and status.estimated_wait > 0


async def test_redis_down_at_request_time_keeps_the_analysis_and_the_reconciler_queues_it_later(
    runtime: Runtime,
) -> None:
    dead = connect_redis("redis://127.0.0.1:1/0", runtime.settings.queue_name)
    offline = AnalysisService(runtime.database, AnalysisQueue(dead, runtime.settings.queue_name))
    chat = ChatService(runtime.database, offline, Dialog(runtime.settings))
    thread = ThreadRef("console", "local", "c1", "t1", "ana")
    outcome = await chat.handle(thread, "r/freelance last 30 days budget $0.50")
    await dead.aclose()

    assert outcome.submission is not None and not outcome.submission.queued
    assert any("saved and will start as soon as it is back" in m for m in outcome.messages)
    analysis_id = outcome.submission.analysis_id
    assert (await runtime.service.get(analysis_id)).status == AnalysisStatus.QUEUED
    assert await runtime.queue.depth() == 0

    # Redis is back (the runtime's queue reaches it): the reconciler queues the analysis once.
    # A fresh row may still be on its way to the queue, so the reconciler leaves it alone at first.
    assert await runtime.service.reconcile() == []
    assert await runtime.service.reconcile(grace=timedelta(0)) == [analysis_id]
    assert await runtime.service.reconcile(grace=timedelta(0)) == []
    async with running_worker(runtime):
        await wait_for_status(runtime, analysis_id, AnalysisStatus.COMPLETED)


async def test_cancel_stops_a_running_analysis(runtime: Runtime) -> None:
    async with EventSubscription(runtime.redis) as subscription:
        submission = await runtime.service.submit(make_request())
        async with running_worker(runtime, item_delay=0.02):
            await wait_for_status(runtime, submission.analysis_id, AnalysisStatus.PROCESSING)
            message = await runtime.service.cancel(submission.analysis_id)
            assert "Stopping" in message
            events = await events_until_final(subscription, submission.analysis_id)
    assert isinstance(events[-1], CancelledEvent)
    assert not any(isinstance(e, CompletedEvent) for e in events)
    response = await runtime.service.get(submission.analysis_id)
    assert response.status == AnalysisStatus.CANCELLED and response.results is None
    assert all(j.status == AnalysisStatus.CANCELLED for j in await runtime.service.jobs(submission.analysis_id))


async def test_cancel_of_a_queued_analysis_finishes_it_before_any_work(runtime: Runtime) -> None:
    submission = await runtime.service.submit(make_request())
    assert "before it started" in await runtime.service.cancel(submission.analysis_id)
    async with running_worker(runtime):
        await asyncio.sleep(0.5)
    async with runtime.database.unit_of_work() as session:
        count = await session.scalar(
            select(func.count()).select_from(ItemRow).where(ItemRow.analysis_id == submission.analysis_id)
        )
    assert count == 0
    assert (await runtime.service.get(submission.analysis_id)).status == AnalysisStatus.CANCELLED


async def test_priced_reddit_calls_are_charged_warned_and_capped(runtime: Runtime) -> None:
    runtime.settings.reddit_price_per_1000_calls_usd = Decimal("10")  # one cent a call
    async with EventSubscription(runtime.redis) as subscription:
        submission = await runtime.service.submit(make_request(max_cost="1", cost_threshold="0.25"))
        async with running_worker(runtime):
            events = await events_until_final(subscription, submission.analysis_id)
    response = await runtime.service.get(submission.analysis_id)
    calls = response.cost_breakdown.reddit_calls
    assert calls > 50
    assert response.cost_breakdown.total == Decimal(calls) / 100
    assert response.cost_breakdown.total <= Decimal("1")
    warnings = [e.warning for e in events if isinstance(e, CostEvent) and e.warning]
    assert any("50% of the budget" in w for w in warnings)
    assert any("your cost alert of $0.25" in w for w in warnings)
    jobs = await runtime.service.jobs(submission.analysis_id)
    assert jobs[-1].cost_accumulated == response.cost_breakdown.total


async def test_a_budget_too_small_for_the_reddit_calls_stops_the_analysis_within_budget(runtime: Runtime) -> None:
    runtime.settings.reddit_price_per_1000_calls_usd = Decimal("10")
    async with EventSubscription(runtime.redis) as subscription:
        submission = await runtime.service.submit(make_request(max_cost="0.05"))
        async with running_worker(runtime):
            events = await events_until_final(subscription, submission.analysis_id)
    assert isinstance(events[-1], FailedEvent)
    assert "stays within budget" in events[-1].message
    response = await runtime.service.get(submission.analysis_id)
    assert response.status == AnalysisStatus.FAILED
    assert response.cost_breakdown.total <= Decimal("0.05")


async def test_comment_reading_is_cut_to_what_the_budget_pays_for(runtime: Runtime) -> None:
    runtime.settings.reddit_price_per_1000_calls_usd = Decimal("10")  # one cent a call
    async with EventSubscription(runtime.redis) as subscription:
        submission = await runtime.service.submit(make_request(max_cost="0.30"))
        async with running_worker(runtime):
            events = await events_until_final(subscription, submission.analysis_id)
    assert isinstance(events[-1], CompletedEvent)
    response = await runtime.service.get(submission.analysis_id)
    # 6 listing pages ($0.06) leave $0.24; three quarters of it buys 18 comment fetches.
    assert response.cost_breakdown.reddit_calls == 6 + 18
    assert response.cost_breakdown.total == Decimal("0.24")


class CommentsTakenDown(DemoSource):
    """The demo data set after every comment was removed on Reddit."""

    async def still_visible(self, items: Sequence[RedditItem]) -> set[str]:
        return {i.reddit_id for i in items if i.kind == ItemKind.POST}


async def test_quotes_taken_down_on_reddit_since_collection_are_not_shown(runtime: Runtime) -> None:
    submission = await runtime.service.submit(make_request())
    worker = build_worker(runtime, source=CommentsTakenDown(), engine=LocalEngine(), handle_signals=False)
    task = asyncio.create_task(worker.async_run())
    try:
        await wait_for_status(runtime, submission.analysis_id, AnalysisStatus.COMPLETED)
    finally:
        await stop_worker(worker, task)
    results = (await runtime.service.get(submission.analysis_id)).results
    assert results is not None
    quotes = [q for o in results.opportunities for q in o.quotes]
    assert quotes
    assert all("/_/" not in q.permalink for q in quotes)  # comment permalinks carry /_/<id>/
    assert any("taken down on Reddit and are not shown" in n for n in results.notes)
