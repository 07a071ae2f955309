"""Watches and DMs with a real arq worker: the cron body starts a due watch, its alert arrives as a DM, and an
analysis crossing the requester's cost threshold DMs them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from oppscout.core.contract import AnalysisStatus
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.outbox import ConsoleMessenger
from oppscout.core.settings import Settings
from oppscout.core.watches import WatchService, WatchSpec
from oppscout.jobs.watch_tasks import run_watches
from oppscout.runtime import Runtime, build_chat
from tests.fakes.smtp_server import smtp_server, text_of
from tests.helpers import make_request
from tests.jobs.worker_harness import running_worker, wait_for_status

ANA = ThreadRef("console", "local", "console", "t1", "ana")


@pytest.fixture
async def priced_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """A runtime where Reddit calls cost money, so spend crosses thresholds."""
    runtime = await Runtime.open(settings.model_copy(update={"reddit_price_per_1000_calls_usd": Decimal("10")}))
    yield runtime
    await runtime.close()


async def _wait_for_dm(messenger: ConsoleMessenger, count: int = 1) -> None:
    async with asyncio.timeout(60):
        while len(messenger.sent) < count:
            await asyncio.sleep(0.05)


async def test_the_cron_runs_a_due_watch_and_its_alert_is_dmed(runtime: Runtime) -> None:
    watch = await WatchService(runtime.database, runtime.settings).create(
        ANA, WatchSpec(subreddits=["smallbusiness", "freelance", "SaaS"], threshold=0, cadence_hours=24)
    )
    async with running_worker(runtime) as worker:
        messenger = worker.ctx["watch_scheduler"].dispatcher.messengers["console"]
        assert isinstance(messenger, ConsoleMessenger)
        messenger.echo = None
        assert await run_watches(worker.ctx) == 1
        assert await run_watches(worker.ctx) == 0  # not due again
        await _wait_for_dm(messenger)
    workspace, user, text = messenger.sent[0]
    assert (workspace, user) == ("local", "ana")
    assert text.startswith(f"🔔 Watch #{watch.id} (r/smallbusiness, r/freelance, r/SaaS)")
    assert "score" in text and "≥ your threshold 0" in text


async def test_crossing_the_cost_threshold_dms_the_requester_once(priced_runtime: Runtime) -> None:
    request = make_request(max_cost="5", cost_threshold="0.05")
    async with running_worker(priced_runtime) as worker:
        messenger = worker.ctx["watch_scheduler"].dispatcher.messengers["console"]
        assert isinstance(messenger, ConsoleMessenger)
        messenger.echo = None
        submission = await priced_runtime.service.submit(request, thread=ANA)
        await wait_for_status(priced_runtime, submission.analysis_id, AnalysisStatus.COMPLETED)
        await _wait_for_dm(messenger)
    assert len(messenger.sent) == 1
    _, user, text = messenger.sent[0]
    assert user == "ana"
    assert "Spend passed your cost alert of $0.05" in text
    assert submission.analysis_id[:8] in text


async def test_the_final_summary_is_emailed_when_the_requester_asked_for_email(settings: Settings) -> None:
    with smtp_server() as (mailbox, port):
        runtime = await Runtime.open(settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port}))
        try:
            await WatchService(runtime.database, runtime.settings).set_email(ANA, "ana@example.com")
            request = make_request()
            request.notification_preferences.email = True
            async with running_worker(runtime):
                submission = await runtime.service.submit(request, thread=ANA)
                await wait_for_status(runtime, submission.analysis_id, AnalysisStatus.COMPLETED)
                async with asyncio.timeout(30):
                    while not mailbox.messages:
                        await asyncio.sleep(0.05)
        finally:
            await runtime.close()
    (email,) = mailbox.messages
    assert email["To"] == "ana@example.com"
    text = text_of(email)
    assert f"(id {submission.analysis_id})" in text
    assert "1. " in text and "score" in text


async def test_a_watch_cost_alert_set_in_chat_is_dmed_once_by_the_worker(priced_runtime: Runtime) -> None:
    chat = build_chat(priced_runtime, voice=False)
    await chat.handle(ANA, "watch r/smallbusiness r/freelance daily, tell me when it has cost 1 cent")
    created = await chat.handle(ANA, "yes")
    assert "I'll also tell you once it has cost $0.01 in a month." in created.messages[0]
    async with running_worker(priced_runtime) as worker:
        messenger = worker.ctx["watch_scheduler"].dispatcher.messengers["console"]
        assert isinstance(messenger, ConsoleMessenger)
        messenger.echo = None
        assert await run_watches(worker.ctx) == 1
        async with asyncio.timeout(60):
            while not any(text.startswith("💸") for _, _, text in messenger.sent):
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
    cost = [text for _, _, text in messenger.sent if text.startswith("💸")]
    assert len(cost) == 1
    assert cost[0].startswith("💸 Watch #1 (r/smallbusiness, r/freelance) has cost $")
    assert "past your cost alert of $0.01" in cost[0]
