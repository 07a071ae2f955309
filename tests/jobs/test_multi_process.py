"""Team scale: two ``oppscout worker`` processes and one ``oppscout web`` process share one Redis and one
database; 20 analyses and a due watch each run exactly once and every event reaches a Socket.IO client."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest
import socketio  # type: ignore[import-untyped]  # python-socketio ships no type information

from oppscout.core.contract import STAGES, AnalysisStatus
from oppscout.core.corpus import ItemKind
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.repositories.api_tokens import ApiTokenRepository
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.db.repositories.items import ItemRepository
from oppscout.core.db.repositories.outbox import OutboxRepository
from oppscout.core.db.repositories.stage_jobs import StageJobRepository
from oppscout.core.db.repositories.watches import WatchRepository
from oppscout.core.events import AnalysisEvent, CompletedEvent
from oppscout.core.watches import WatchService, WatchSpec
from oppscout.jobs.event_bus import EventSubscription
from oppscout.jobs.sources.demo import DemoSource
from oppscout.runtime import Runtime
from tests.helpers import make_request

pytestmark = pytest.mark.slow

ANALYSES = 20
SUBREDDITS = ["smallbusiness", "freelance"]
WORKSPACE = "local"  # the console thread's workspace: one token follows the analyses and the watch's run
ANA = ThreadRef("console", WORKSPACE, "console", "t1", "ana")
LIMIT = 120.0  # an upper bound for a loaded 2-core machine; never asserted on


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(runtime: Runtime) -> dict[str, str]:
    settings = runtime.settings
    env = {
        **os.environ,
        "OPPSCOUT_DATA_DIR": str(settings.data_dir),
        "OPPSCOUT_REDIS_URL": runtime.redis_url,
        "OPPSCOUT_QUEUE_NAME": settings.queue_name,
        "OPPSCOUT_WATCH_TICK_SECONDS": "1",
        # One stage at a time per worker, so the watch's run waits in line behind the burst.
        "OPPSCOUT_WORKER_CONCURRENCY": "1",
        "OPPSCOUT_PROGRESS_INTERVAL_SECONDS": "0.1",
        "OPPSCOUT_LOG_LEVEL": "WARNING",
    }
    if settings.database_url:
        env["OPPSCOUT_DATABASE_URL"] = settings.database_url
    return env


@contextmanager
def _process(args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-m", "oppscout.cli", *args], env=env, stdout=subprocess.DEVNULL)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Follower:
    """A Socket.IO client of the web process recording every event per analysis."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.client.on("*", self._any)

    async def _any(self, name: str, data: dict[str, Any]) -> None:
        self.events[name.split("-", 1)[1]].append(data)

    async def follow(self, analysis_id: str) -> None:
        answer = await self.client.call("subscribe", {"analysisId": analysis_id}, timeout=30)
        assert answer["ok"] is True, answer


async def _outbox(runtime: Runtime) -> int:
    async with runtime.database.unit_of_work() as session:
        return sum(m.status == "sent" for m in await OutboxRepository(session).list_all())


async def _wait_for_web(url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=5) as client, asyncio.timeout(LIMIT):
        while True:
            assert process.poll() is None, "oppscout web exited"
            try:
                if (await client.get("/health")).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)


async def test_two_workers_and_a_web_process_run_each_analysis_and_watch_once(runtime: Runtime) -> None:
    env = _environment(runtime)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    async with runtime.database.unit_of_work() as session:
        token = (await ApiTokenRepository(session).create(WORKSPACE, "multi-process")).secret
    request = make_request(SUBREDDITS, days=30)
    follower = Follower()
    published: dict[str, list[AnalysisEvent]] = defaultdict(list)

    async def tap(subscription: EventSubscription) -> None:
        async for event in subscription:
            published[event.analysis_id].append(event)

    with ExitStack() as processes:
        web = processes.enter_context(_process(["web", "--host", "127.0.0.1", "--port", str(port)], env))
        await _wait_for_web(url, web)
        async with EventSubscription(runtime.redis) as subscription:
            tapping = asyncio.create_task(tap(subscription))
            await follower.client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=30)
            try:
                # Submitted through the REST API and followed before any worker runs: no event can be missed.
                ids: list[str] = []
                async with httpx.AsyncClient(base_url=url, timeout=30) as http:
                    for _ in range(ANALYSES):
                        answer = await http.post(
                            "/api/v1/analyses",
                            json=request.model_dump(mode="json", by_alias=True),
                            headers={"Authorization": f"Bearer {token}"},
                        )
                        assert answer.status_code == 202, answer.text
                        ids.append(answer.json()["analysisId"])
                for analysis_id in ids:
                    await follower.follow(analysis_id)
                watch = await WatchService(runtime.database, runtime.settings).create(
                    ANA, WatchSpec(subreddits=SUBREDDITS, threshold=0, cadence_hours=24)
                )

                processes.enter_context(_process(["worker"], env))
                processes.enter_context(_process(["worker"], env))
                async with asyncio.timeout(LIMIT):
                    watch_run = None
                    while watch_run is None:
                        async with runtime.database.unit_of_work() as session:
                            rows = await AnalysisRepository(session).list_recent(workspace_id=WORKSPACE, limit=50)
                        watch_run = next((r.id for r in rows if r.id not in ids), None)
                        await asyncio.sleep(0.05)
                    await follower.follow(watch_run)
                    everything = [*ids, watch_run]
                    while not all(any(isinstance(e, CompletedEvent) for e in published[a]) for a in everything):
                        await asyncio.sleep(0.1)
                    # The alert of the watch's run leaves through the outbox once the run is evaluated.
                    while not (await _outbox(runtime)):
                        await asyncio.sleep(0.1)
                    while sum(len(follower.events[a]) for a in everything) < sum(len(published[a]) for a in everything):
                        await asyncio.sleep(0.1)
                await asyncio.sleep(2)  # a second run, summary or alert, if any, would show now
            finally:
                tapping.cancel()
                await asyncio.gather(tapping, return_exceptions=True)
                await follower.client.disconnect()

    # Each analysis completed once: one summary event, one delivery, one attempt per stage, no doubled items.
    demo = DemoSource()

    async def nothing(done: int, expected: int, message: str | None = None) -> None:
        return None

    expected_posts = (await demo.fetch_posts(request, nothing)).posts
    expected_comments = (await demo.fetch_comments(expected_posts, 60, nothing)).comments
    async with runtime.database.unit_of_work() as session:
        analyses = AnalysisRepository(session)
        assert await analyses.count_by_status() == {AnalysisStatus.COMPLETED.value: ANALYSES + 1}
        for analysis_id in everything:
            assert sum(isinstance(e, CompletedEvent) for e in published[analysis_id]) == 1
            row = await analyses.get(analysis_id)
            assert row is not None and row.delivered_at is not None
            jobs = await StageJobRepository(session).list_for(analysis_id)
            assert sorted(j.stage for j in jobs) == sorted(s.value for s in STAGES)
            assert all(j.attempts == 1 for j in jobs), [(j.stage, j.attempts) for j in jobs]
        for analysis_id in ids:
            counts = await ItemRepository(session).count(analysis_id)
            assert counts[ItemKind.POST] == len(expected_posts)
            assert counts[ItemKind.COMMENT] == len(expected_comments)
        # The watch ran once across both workers' crons: its one alert was sent once, and its
        # first-run baseline was posted once in the watch's thread (a message with no DM recipient).
        run = await WatchRepository(session).run_for_analysis(watch_run)
        assert run is not None and run.watch_id == watch.id
        messages = await OutboxRepository(session).list_all()
    assert sorted((m.recipient, m.status, m.attempts) for m in messages) == [("", "sent", 1), ("ana", "sent", 1)]

    # Every event reached the Socket.IO client, in order, numbered without a gap.
    for analysis_id in ids:
        received = [e["seq"] for e in follower.events[analysis_id]]
        assert received == list(range(1, len(published[analysis_id]) + 1))
    # The watch's run could only be followed once it existed: from then on nothing is missing.
    received = [e["seq"] for e in follower.events[watch_run]]
    assert received and received == list(range(received[0], len(published[watch_run]) + 1))
    assert follower.events[watch_run][-1]["type"] == "completed"
