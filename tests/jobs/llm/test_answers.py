"""Any answer an OpenAI-compatible server gives is handled: through the real openai client, against the fake."""

from __future__ import annotations

import json

from openai import AsyncOpenAI

from oppscout.core.analysis.synthesis import SynthesisEngine
from oppscout.core.costs import PriceTable
from oppscout.core.db.database import Database
from oppscout.core.health import Component, ComponentHealth
from oppscout.jobs.health_reporter import ComponentReporter
from oppscout.jobs.llm.client import OpenAIChatModel
from tests.fakes.openai_server import OpenAIServer, Scripted
from tests.jobs.llm.conftest import CLIENT_TIMEOUT, MODEL
from tests.jobs.llm.test_synthesis import _budget, _items


def _formats(server: OpenAIServer) -> list[str | None]:
    return [(c.body.get("response_format") or {}).get("type") for c in server.state.chats()]


def _bodies(server: OpenAIServer) -> list[str]:
    return [json.dumps(c.body, sort_keys=True) for c in server.state.chats()]


async def test_a_server_that_refuses_json_schema_is_asked_for_a_json_object_with_the_schema_in_the_prompt(
    engine: SynthesisEngine, openai_server: OpenAIServer, database: Database
) -> None:
    openai_server.state.refuse_json_schema = True
    items, req = await _items()
    budget = await _budget(database, req)
    results = await engine.analyze(items, req, budget)
    assert results.engine == "local+llm"
    assert _formats(openai_server) == ["json_schema", "json_object"]
    user = openai_server.state.chats()[1].body["messages"][1]["content"]
    assert '"opportunities":[{"title":"","problem":""' in user and '"confidence":0.0' in user and '"n":0' in user
    assert (await budget.governor.totals()).reserved == 0


async def test_an_html_page_with_status_200_is_paid_at_its_reservation_and_asked_differently(
    engine: SynthesisEngine, openai_server: OpenAIServer, database: Database
) -> None:
    openai_server.state.then(Scripted(html=True))
    engine.max_themes = 1
    items, req = await _items()
    budget = await _budget(database, req)
    results = await engine.analyze(items, req, budget)
    assert results.engine == "local+llm"
    assert _formats(openai_server) == ["json_schema", "json_object"]
    totals = await budget.governor.totals()
    # The page may have been billed, and said nothing of its cost: it is charged what it could have cost.
    assert totals.tokens_out > engine.max_output_tokens
    assert totals.reserved == 0


async def test_a_reply_without_usage_is_used_and_charged_its_reservation(
    engine: SynthesisEngine, openai_server: OpenAIServer, database: Database
) -> None:
    openai_server.state.then(Scripted(omit_usage=True))
    engine.max_themes = 1
    items, req = await _items()
    budget = await _budget(database, req)
    results = await engine.analyze(items, req, budget)
    assert results.engine == "local+llm" and len(openai_server.state.chats()) == 1
    totals = await budget.governor.totals()
    assert totals.spent > 0 and totals.tokens_out == engine.max_output_tokens


async def test_a_cut_off_answer_is_asked_again_with_a_larger_allowance(
    engine: SynthesisEngine, openai_server: OpenAIServer, database: Database
) -> None:
    openai_server.state.deterministic = True
    openai_server.state.then(Scripted(truncated=True))
    engine.max_themes = 1
    engine.max_output_tokens = 100
    items, req = await _items()
    results = await engine.analyze(items, req, await _budget(database, req))
    assert results.engine == "local+llm"
    assert [c.body["max_tokens"] for c in openai_server.state.chats()] == [100, 200]


async def test_the_same_unusable_answer_is_never_paid_for_twice(
    engine: SynthesisEngine, openai_server: OpenAIServer, database: Database
) -> None:
    # At temperature 0 the same request gets the same bad answer: each retry must change the request.
    openai_server.state.deterministic = True
    openai_server.state.then(*[Scripted(content="{not json")] * 6)
    items, req = await _items()
    budget = await _budget(database, req)
    results = await engine.analyze(items, req, budget)
    bodies = _bodies(openai_server)
    assert len(bodies) == engine.max_attempts == len(set(bodies))
    second = openai_server.state.chats()[1].body["messages"][1]["content"]
    assert "Your previous reply could not be used" in second and "Invalid JSON" in second
    assert "{not json" not in second  # the model's own text is not echoed back into the prompt
    notes = [n for n in results.notes if "AI write-up is unavailable" in n]
    assert len(notes) == 1 and "3 top themes come" in notes[0]


async def test_the_servers_tokenizer_bounds_the_prompt_and_a_server_without_one_is_asked_once(
    engine: SynthesisEngine, openai_server: OpenAIServer, database: Database
) -> None:
    items, req = await _items()
    await engine.analyze(items, req, await _budget(database, req))
    assert any(r.path == "/tokenize" for r in openai_server.state.received)

    openai_server.state.tokenizer = False
    client = AsyncOpenAI(api_key="sk-test", base_url=openai_server.base_url, timeout=CLIENT_TIMEOUT, max_retries=0)
    chat = OpenAIChatModel(client, MODEL)
    assert await chat.count_tokens(["héllo"]) is None
    assert await chat.count_tokens(["again"]) is None
    assert [r.path for r in openai_server.state.received].count("/tokenize") == 3 + 1
    assert await chat.count_tokens(["again"]) is None


async def test_an_endpoint_answering_garbage_is_reported_unhealthy(
    openai_server: OpenAIServer, database: Database
) -> None:
    states: list[str] = []

    class Store:
        async def set(self, name: str, value: str, ex: int | None = None) -> None:
            states.append(ComponentHealth.model_validate_json(value).status.value)

    openai_server.state.then(*[Scripted(html=True)] * 3)
    client = AsyncOpenAI(api_key="sk-test", base_url=openai_server.base_url, timeout=CLIENT_TIMEOUT, max_retries=0)
    reporter = ComponentReporter(Store(), Component.AI_PROCESSOR, repeat_seconds=0)
    engine = SynthesisEngine(
        OpenAIChatModel(client, MODEL, reporter=reporter), PriceTable({}, llm_free=True), backoff_seconds=0
    )
    items, req = await _items()
    results = await engine.analyze(items, req, await _budget(database, req))
    assert results.engine == "local"
    assert "healthy" not in states and states[-1] == "down"
