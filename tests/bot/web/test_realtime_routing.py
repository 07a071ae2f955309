"""How the relay learns an event's workspace: from the stamp the publisher carries, not the database."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from oppscout.core.contract import CostBreakdown, Stage
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.tables import AnalysisRow
from oppscout.core.events import CostEvent, parse_event
from oppscout.core.log_context import job_context, set_workspace
from oppscout.jobs.event_bus import ROUTING_KEY, RedisEventPublisher, decode, encode
from tests.bot.web.conftest import WebEnv
from tests.bot.web.test_realtime import Listener, progress


@pytest.fixture
def analysis_reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each analysis is read by id, in any thread (the web server's runs in this process)."""
    reads: Counter[str] = Counter()
    original = AnalysisRepository.get

    async def counted(self: AnalysisRepository, analysis_id: str, **kwargs: Any) -> AnalysisRow | None:
        reads[analysis_id] += 1
        return await original(self, analysis_id, **kwargs)

    monkeypatch.setattr(AnalysisRepository, "get", counted)
    return reads


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_the_first_events_of_an_analysis_reach_its_workspace_without_a_database_read(
    web: WebEnv, analysis_reads: Counter[str], transport: str
) -> None:
    workspace = f"route-stamped-{transport}"
    listener = Listener()
    await listener.connect(web.url, await web.token(workspace), transport)
    try:
        analysis_id = await web.analysis(workspace)
        publisher = RedisEventPublisher(web.runtime.redis)
        await publisher.publish(progress(analysis_id, 20).in_workspace(workspace))
        cost = CostBreakdown(total=Decimal("0.1"), budget=Decimal("0.5"))
        await publisher.publish(CostEvent(analysis_id=analysis_id, cost=cost).in_workspace(workspace))
        name, data = await listener.next()
        assert (name, data["seq"], data["progress"]["percent"]) == (f"analysis-{analysis_id}", 1, 20)
        # The payload is the contract's event and nothing else: the routing key stays on the bus.
        assert ROUTING_KEY not in data
        assert data == progress(analysis_id, 20).model_copy(update={"seq": 1}).model_dump(
            mode="json", exclude_none=True
        )
        name, data = await listener.next()
        assert (name, data["cost"]["total"]) == (f"cost-{analysis_id}", 0.1)
        assert analysis_reads[analysis_id] == 0, "the relay read the database to route a stamped event"
    finally:
        await listener.close()


async def test_events_a_worker_stage_publishes_carry_its_workspace(web: WebEnv, analysis_reads: Counter[str]) -> None:
    """The worker records the workspace in the job's context when a stage reads its analysis; every
    event the stage publishes afterwards is stamped from it, with no id threaded through."""
    workspace = "route-job"
    listener = Listener()
    await listener.connect(web.url, await web.token(workspace), "websocket")
    try:
        analysis_id = await web.analysis(workspace)
        publisher = RedisEventPublisher(web.runtime.redis)
        with job_context(analysis_id, Stage.REDDIT_COLLECTION.value):
            set_workspace(workspace)
            await publisher.publish(progress(analysis_id, 5))
        name, data = await listener.next()
        assert (name, data["progress"]["percent"]) == (f"analysis-{analysis_id}", 5)
        assert analysis_reads[analysis_id] == 0
    finally:
        await listener.close()


async def test_an_event_without_a_workspace_is_routed_by_one_lookup(web: WebEnv, analysis_reads: Counter[str]) -> None:
    """An older worker's events carry no workspace: the relay looks the analysis up once, then remembers."""
    workspace = "route-fallback"
    listener = Listener()
    await listener.connect(web.url, await web.token(workspace), "websocket")
    try:
        analysis_id = await web.analysis(workspace)
        publisher = RedisEventPublisher(web.runtime.redis)
        await publisher.publish(progress(analysis_id, 10))
        await publisher.publish(progress(analysis_id, 30))
        assert (await listener.next())[1]["progress"]["percent"] == 10
        assert (await listener.next())[1]["progress"]["percent"] == 30
        assert analysis_reads[analysis_id] == 1
    finally:
        await listener.close()


def test_a_stamped_message_reads_as_the_same_event_with_or_without_knowing_the_stamp() -> None:
    event = progress("a1", 40)
    message = encode(event, "ws-1")
    routed = decode(message)
    assert (routed.event, routed.workspace_id) == (event, "ws-1")
    # Subscribers that only parse events (console, scan, an older web process) ignore the key.
    assert parse_event(message) == event
    # A message without the key (an older worker) is still an event, of no known workspace.
    assert decode(event.model_dump_json()).workspace_id is None
