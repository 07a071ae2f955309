"""Graceful degradation in the worker: Reddit down keeps analyses queued and says so; LLM down falls back
to the local engine and says so; /api/v1/health reports what the worker saw."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from arq.jobs import Job

from oppscout.bot.web.app import create_app
from oppscout.core.analysis.engine import LocalEngine
from oppscout.core.contract import AnalysisStatus, Stage
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.api_tokens import ApiTokenRepository
from oppscout.core.events import AnalysisEvent, CancelledEvent, CompletedEvent, FailedEvent, NoticeEvent
from oppscout.core.health import Component, ComponentHealth, ComponentState
from oppscout.core.ports import AnalysisEngine, PostSource
from oppscout.core.settings import Settings
from oppscout.jobs.event_bus import EventSubscription
from oppscout.jobs.health_reporter import ComponentReporter
from oppscout.jobs.queue import stage_job_id
from oppscout.jobs.sources.demo import DemoSource
from oppscout.jobs.sources.reddit import RedditSource
from oppscout.jobs.worker import build_worker, stop_worker
from oppscout.runtime import Runtime, build_engine, build_source
from tests.fakes.openai_server import OpenAIServer, Scripted
from tests.fakes.reddit_server import FakeReddit, FakeRedditServer, Fault
from tests.helpers import make_request
from tests.jobs.sources.conftest import ProgressLog, reddit_settings
from tests.jobs.sources.conftest import make_request as reddit_request
from tests.jobs.worker_harness import FINAL

DOWN_FOR_GOOD = 10**6


@pytest.fixture
def fake_reddit(shared_dir: Path) -> Iterator[FakeRedditServer]:
    """A fake Reddit over real posts of two subreddits."""
    server = FakeRedditServer(FakeReddit(shared_dir, ["smallbusiness", "freelance"], posts_per_subreddit=150)).start()
    yield server
    server.stop()


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A fake OpenAI-compatible endpoint."""
    server = OpenAIServer().start()
    yield server
    server.stop()


@asynccontextmanager
async def worker_and_web(
    settings: Settings, source: Callable[[Runtime], PostSource], engine: Callable[[Runtime], AnalysisEngine]
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient, EventSubscription]]:
    """A worker (its own runtime, as `oppscout worker` wires it) and the web API (another runtime)."""
    worker_runtime = await Runtime.open(settings)
    web_runtime = await Runtime.open(settings)
    worker = build_worker(
        worker_runtime, source=source(worker_runtime), engine=engine(worker_runtime), handle_signals=False
    )
    task = asyncio.create_task(worker.async_run())
    try:
        async with web_runtime.database.unit_of_work() as session:
            token = (await ApiTokenRepository(session).create("degradation")).secret
        transport = httpx.ASGITransport(app=create_app(web_runtime))
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
            EventSubscription(web_runtime.redis) as subscription,
        ):
            client.headers["Authorization"] = f"Bearer {token}"
            yield web_runtime, client, subscription
    finally:
        await stop_worker(worker, task)
        await worker_runtime.close()
        await web_runtime.close()


async def events_until(
    subscription: EventSubscription, analysis_id: str, done: Callable[[AnalysisEvent], bool], limit: float = 60
) -> list[AnalysisEvent]:
    """The analysis's events up to and including the first one ``done`` accepts."""
    events: list[AnalysisEvent] = []
    async with asyncio.timeout(limit):
        while True:
            event = await subscription.next_event(timeout=0.5)
            if event is None or event.analysis_id != analysis_id:
                continue
            events.append(event)
            if done(event):
                return events


def is_final(event: AnalysisEvent) -> bool:
    return isinstance(event, FINAL)


def is_reddit_notice(event: AnalysisEvent) -> bool:
    return isinstance(event, NoticeEvent) and "Reddit cannot be reached" in event.message


async def health_of(client: httpx.AsyncClient, component: Component) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get("/api/v1/health")).json()
    return dict(body["components"][component.value])


async def test_reddit_down_keeps_the_analysis_queued_says_so_and_it_completes_when_reddit_is_back(
    settings: Settings, fake_reddit: FakeRedditServer
) -> None:
    # Each try gives up at the first failure; the analysis may wait a minute for Reddit.
    options = {"reddit_max_outage_seconds": 0, "reddit_outage_queue_hours": 1 / 60, "stage_max_tries": 8}
    reddit = reddit_settings(settings, fake_reddit, health_cache_seconds=0, **options)
    # The first page arrives, then Reddit answers 503 until the test brings it back.
    fake_reddit.fake.faults.append(Fault("/new/", 503, times=DOWN_FOR_GOOD, after=1))

    async with worker_and_web(
        reddit, lambda rt: build_source(reddit, health_store=rt.redis), lambda _: LocalEngine()
    ) as (runtime, client, subscription):
        submission = await runtime.service.submit(reddit_request(["smallbusiness", "freelance"], 12))
        waiting = await events_until(subscription, submission.analysis_id, is_reddit_notice)

        assert not any(isinstance(e, FailedEvent) for e in waiting)
        assert "starts again by itself once Reddit is back" in waiting[-1].message  # type: ignore[union-attr]
        assert (await runtime.service.get(submission.analysis_id)).status == AnalysisStatus.QUEUED
        # The stage that waits shows as waiting too, so the jobs view agrees with the analysis.
        jobs = await runtime.service.jobs(submission.analysis_id)
        assert [j.status for j in jobs] == [AnalysisStatus.QUEUED] * 3
        assert jobs[0].type == Stage.REDDIT_COLLECTION
        reddit_api = await health_of(client, Component.REDDIT_API)
        assert reddit_api["status"] == ComponentState.DOWN
        assert reddit_api["reportedBy"].startswith("worker")
        features = (await client.get("/api/v1/features")).json()
        assert features["liveReddit"] is False and "stay queued" in features["messages"]["liveReddit"]

        fake_reddit.fake.faults.clear()  # Reddit is back
        events = await events_until(subscription, submission.analysis_id, is_final)

        assert isinstance(events[-1], CompletedEvent), events[-1]
        assert (await health_of(client, Component.REDDIT_API))["status"] == ComponentState.HEALTHY
    first_pages = [r for r in fake_reddit.api_requests() if r.path.endswith("/new/") and "after" not in r.params]
    assert len(first_pages) == 1, "the page fetched before the outage is not paid for again"


async def test_an_analysis_waiting_for_reddit_can_be_cancelled_and_reddit_is_not_called_for_it_again(
    settings: Settings, fake_reddit: FakeRedditServer
) -> None:
    options = {"reddit_max_outage_seconds": 0, "reddit_outage_queue_hours": 1 / 60, "stage_max_tries": 8}
    reddit = reddit_settings(settings, fake_reddit, health_cache_seconds=0, **options)
    fake_reddit.fake.faults.append(Fault("/new/", 503, times=DOWN_FOR_GOOD))

    async with worker_and_web(
        reddit, lambda rt: build_source(reddit, health_store=rt.redis), lambda _: LocalEngine()
    ) as (runtime, _, subscription):
        submission = await runtime.service.submit(reddit_request(["freelance"], 5))
        await events_until(subscription, submission.analysis_id, is_reddit_notice)
        reply = await runtime.service.cancel(submission.analysis_id)
        events = await events_until(subscription, submission.analysis_id, is_final)
        calls = len(fake_reddit.api_requests())
        fake_reddit.fake.faults.clear()
        # The try that was already deferred still runs; it must stop without calling Reddit.
        job = Job(stage_job_id(submission.analysis_id, Stage.REDDIT_COLLECTION), runtime.redis, reddit.queue_name)
        assert await job.result(timeout=30) == "done"

        assert isinstance(events[-1], CancelledEvent), events[-1]
        assert "Nothing was charged" not in reply, "it had started: its first page may have been paid for"
        assert (await runtime.service.get(submission.analysis_id)).status == AnalysisStatus.CANCELLED
    assert len(fake_reddit.api_requests()) == calls, "the cancelled analysis did not call Reddit again"


async def test_reddit_down_for_longer_than_the_queue_waits_fails_with_the_clear_message(
    settings: Settings, fake_reddit: FakeRedditServer
) -> None:
    options = {"reddit_max_outage_seconds": 0, "reddit_outage_queue_hours": 1.5 / 3600, "stage_max_tries": 3}
    reddit = reddit_settings(settings, fake_reddit, health_cache_seconds=0, **options)
    fake_reddit.fake.faults.append(Fault("/new/", 503, times=DOWN_FOR_GOOD))

    async with worker_and_web(
        reddit, lambda rt: build_source(reddit, health_store=rt.redis), lambda _: LocalEngine()
    ) as (runtime, client, subscription):
        submission = await runtime.service.submit(reddit_request(["freelance"], 5))
        events = await events_until(subscription, submission.analysis_id, is_final)

        assert any(is_reddit_notice(e) for e in events), "the user was told before it failed"
        failed = events[-1]
        assert isinstance(failed, FailedEvent)
        assert "Reddit kept failing" in failed.message and "ask again" in failed.message
        assert "in the queue for Reddit to come back" in failed.message
        assert (await runtime.service.get(submission.analysis_id)).status == AnalysisStatus.FAILED
        assert (await health_of(client, Component.REDDIT_API))["status"] == ComponentState.DOWN


async def test_llm_down_runs_on_the_local_engine_says_so_in_the_thread_and_health_tells(
    settings: Settings, openai_server: OpenAIServer
) -> None:
    llm = settings.model_copy(
        update={"openai_base_url": openai_server.base_url, "llm_max_attempts": 2, "health_cache_seconds": 0}
    )
    openai_server.state.then(Scripted(status=503), Scripted(status=500))

    async with worker_and_web(llm, lambda _: DemoSource(), lambda rt: build_engine(llm, health_store=rt.redis)) as (
        runtime,
        client,
        subscription,
    ):
        first = await runtime.service.submit(make_request(max_cost="5"))
        events = await events_until(subscription, first.analysis_id, is_final)

        completed = events[-1]
        assert isinstance(completed, CompletedEvent)
        assert completed.results.engine == "local" and completed.results.opportunities
        notices = [e.message for e in events if isinstance(e, NoticeEvent)]
        assert any("AI write-up is unavailable" in n and "from the local engine" in n for n in notices), notices
        llm_part = await health_of(client, Component.LLM)
        assert llm_part["status"] == ComponentState.DOWN and llm_part["reportedBy"].startswith("worker")
        # The ai-processor (LLM and transcription) is degraded: transcription still works.
        ai = await health_of(client, Component.AI_PROCESSOR)
        assert ai["status"] == "degraded" and ai["reportedBy"].startswith("worker")
        assert (await client.get("/api/v1/features")).json()["llmSynthesis"] is False

        # The provider answers again: the next analysis is written up and health says so.
        second = await runtime.service.submit(make_request(max_cost="5"))
        events = await events_until(subscription, second.analysis_id, is_final)

        assert isinstance(events[-1], CompletedEvent) and events[-1].results.engine == "local+llm"
        assert (await health_of(client, Component.AI_PROCESSOR))["status"] == ComponentState.HEALTHY


class RecordingStore:
    """A report store that keeps every state written, in order (Redis only keeps the last)."""

    def __init__(self) -> None:
        self.states: list[str] = []

    async def set(self, name: str, value: str, ex: int | None = None) -> None:
        self.states.append(ComponentHealth.model_validate_json(value).status.value)


async def test_reddit_is_reported_degraded_while_a_429_is_waited_out_then_healthy(
    settings: Settings, database: Database, fake_reddit: FakeRedditServer
) -> None:
    store = RecordingStore()
    reporter = ComponentReporter(store, Component.REDDIT_API, repeat_seconds=0)
    source = RedditSource(reddit_settings(settings, fake_reddit), database, reporter=reporter)
    fake_reddit.fake.faults.append(Fault("/new/", 429, times=1, headers={"retry-after": "1"}))

    batch = await source.fetch_posts(reddit_request(["freelance"], 5), ProgressLog())
    await source.close()

    assert batch.posts
    assert "degraded" in store.states and "down" not in store.states
    assert store.states[-1] == "healthy"
    assert store.states.index("healthy") < store.states.index("degraded"), "healthy before the 429, then again"


async def test_reddit_is_reported_degraded_while_its_rate_limit_runs_low(
    settings: Settings, database: Database, fake_reddit: FakeRedditServer
) -> None:
    store = RecordingStore()
    reporter = ComponentReporter(store, Component.REDDIT_API, repeat_seconds=0)
    source = RedditSource(reddit_settings(settings, fake_reddit), database, reporter=reporter)
    fake_reddit.fake.set_ratelimit(remaining=3, reset=1)

    batch = await source.fetch_posts(reddit_request(["smallbusiness", "freelance"], 12), ProgressLog())
    await source.close()

    assert batch.posts
    assert "degraded" in store.states and "down" not in store.states
    assert store.states[-1] == "healthy"
