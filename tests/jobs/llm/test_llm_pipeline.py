"""The LLM engine in the real pipeline: arq worker, SQLite ledger, events in the thread."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from oppscout.core.events import CompletedEvent, CostEvent, NoticeEvent
from oppscout.core.settings import Settings
from oppscout.jobs.event_bus import EventSubscription
from oppscout.jobs.sources.demo import DemoSource
from oppscout.jobs.worker import build_worker, stop_worker
from oppscout.runtime import Runtime, build_engine
from tests.fakes.openai_server import OpenAIServer
from tests.helpers import make_request
from tests.jobs.worker_harness import events_until_final


async def test_a_tight_budget_stops_the_llm_says_so_in_the_thread_and_is_never_exceeded(
    runtime: Runtime, settings: Settings, openai_server: OpenAIServer
) -> None:
    llm_settings = settings.model_copy(update={"openai_base_url": openai_server.base_url, "llm_max_themes": 5})
    engine = build_engine(llm_settings)
    assert engine.name == "llm"
    worker = build_worker(runtime, source=DemoSource(), engine=engine, handle_signals=False)
    budget = Decimal("0.0012")
    async with EventSubscription(runtime.redis) as subscription:
        submission = await runtime.service.submit(make_request(max_cost=str(budget)))
        running = asyncio.create_task(worker.async_run())
        try:
            events = await events_until_final(subscription, submission.analysis_id)
        finally:
            await stop_worker(worker, running)

    notices = [e.message for e in events if isinstance(e, NoticeEvent)]
    assert any("Stopped calling the LLM to stay within" in n for n in notices), notices
    assert any(isinstance(e, CostEvent) and e.cost.llm_tokens_in > 0 for e in events)
    done = events[-1]
    assert isinstance(done, CompletedEvent)
    assert done.results.engine == "local+llm"
    assert 0 < done.cost.llm_cost <= done.cost.total <= budget
    assert 1 <= len(openai_server.state.chats()) < 5
    report = Path(done.report_path or "").read_text(encoding="utf-8")
    assert "Stopped calling the LLM" in report
