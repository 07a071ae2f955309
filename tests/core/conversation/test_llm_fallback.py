"""The LLM fallback parse through the real openai client and a fake endpoint on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from openai import AsyncOpenAI

from oppscout.core.conversation.chat import ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.core.conversation.interpreter import RequestInterpreter
from oppscout.core.costs import PriceTable
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.db.repositories.ledger import SqlLedger
from oppscout.core.spend import SpendGovernor
from oppscout.jobs.llm.client import OpenAIChatModel
from oppscout.runtime import Runtime
from tests.fakes.openai_server import OpenAIServer, Scripted

THREAD = ThreadRef("console", "team-llm", "channel", "thread", "ana")
READING = {
    "intent": "scan",
    "subreddits": ["smallbusiness", "Accounting"],
    "keywords": ["bookkeeping"],
    "window_days": 14,
    "max_cost_usd": 2,
    "threshold": None,
}


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    server = OpenAIServer().start()
    yield server
    server.stop()


def service(runtime: Runtime, server: OpenAIServer) -> ChatService:
    client = AsyncOpenAI(api_key="sk-test", base_url=server.base_url, timeout=2.0, max_retries=0)
    interpreter = RequestInterpreter(OpenAIChatModel(client, "gpt-4o-mini"), PriceTable(runtime.settings.model_prices))
    return ChatService(runtime.database, runtime.service, Dialog(runtime.settings), interpreter=interpreter)


async def test_incomplete_message_is_read_by_the_llm_confirmed_and_costed(
    runtime: Runtime, openai_server: OpenAIServer
) -> None:
    openai_server.state.then(Scripted(content=json.dumps(READING), prompt_tokens=1000, completion_tokens=100))
    chat = service(runtime, openai_server)
    outcome = await chat.handle(THREAD, "what do small shop owners and accountants moan about with bookkeeping")
    [message] = outcome.messages
    assert "r/smallbusiness, r/Accounting about bookkeeping" in message
    assert (
        "(The AI helped me read your message: subreddits, window, max_cost; "
        "that read cost $0.00021, charged to this workspace.)"
    ) in message
    assert "Run it?" in message  # what the AI filled in is always confirmed
    # gpt-4o-mini: 1000 x $0.15/M + 100 x $0.60/M
    assert outcome.parse_cost == Decimal("0.00021")
    [request] = openai_server.state.chats()
    assert request.body["response_format"]["type"] == "json_schema"

    done = await chat.handle(THREAD, "yes")
    assert done.submission is not None
    # The read is the workspace's spend, not the analysis's: its whole budget is left for the analysis.
    totals = await SqlLedger(runtime.database).totals(done.submission.analysis_id)
    assert totals.spent == 0
    report = await SpendGovernor(runtime.database, runtime.settings).report(THREAD.workspace_id, THREAD.user_id)
    assert report.total_spent == Decimal("0.00021")
    assert [(line.label, line.spent) for line in report.by_user] == [("ana", Decimal("0.00021"))]


async def test_the_read_is_skipped_when_it_could_pass_the_monthly_cap(
    runtime: Runtime, openai_server: OpenAIServer
) -> None:
    capped = runtime.settings.model_copy(update={"workspace_monthly_cap_usd": Decimal("0.0001")})
    client = AsyncOpenAI(api_key="sk-test", base_url=openai_server.base_url, timeout=2.0, max_retries=0)
    interpreter = RequestInterpreter(OpenAIChatModel(client, "gpt-4o-mini"), PriceTable(capped.model_prices))
    chat = ChatService(
        runtime.database,
        runtime.service,
        Dialog(capped),
        interpreter=interpreter,
        spend=SpendGovernor(runtime.database, capped),
    )
    outcome = await chat.handle(THREAD, "what do small shop owners and accountants moan about with bookkeeping")
    assert openai_server.state.chats() == []
    assert outcome.parse_cost == 0


async def test_complete_messages_never_call_the_llm(runtime: Runtime, openai_server: OpenAIServer) -> None:
    outcome = await service(runtime, openai_server).handle(THREAD, "r/SaaS about churn")
    assert outcome.submission is not None
    assert outcome.parse_cost == 0
    assert openai_server.state.chats() == []


async def test_llm_failure_falls_back_to_asking(runtime: Runtime, openai_server: OpenAIServer) -> None:
    openai_server.state.then(Scripted(status=500), Scripted(status=503))
    outcome = await service(runtime, openai_server).handle(THREAD, "what are marketers complaining about lately")
    assert outcome.messages == ["Which subreddits should I look at? For example: r/smallbusiness r/freelance"]
    assert outcome.parse_cost == 0


async def test_invented_subreddit_names_are_rejected(runtime: Runtime, openai_server: OpenAIServer) -> None:
    bad = {**READING, "subreddits": ["not a subreddit!", "r/ok_name"], "keywords": []}
    openai_server.state.then(Scripted(content=json.dumps(bad)))
    outcome = await service(runtime, openai_server).handle(THREAD, "look into what bakers say about flour")
    assert outcome.parsed is not None and outcome.parsed.subreddits == ["ok_name"]
    assert outcome.parsed.keywords == ["flour"]  # the deterministic keyword stands


async def test_an_unpriced_model_is_not_asked_and_the_estimate_still_shows(
    runtime: Runtime, openai_server: OpenAIServer
) -> None:
    client = AsyncOpenAI(api_key="sk-test", base_url=openai_server.base_url, timeout=2.0, max_retries=0)
    settings = runtime.settings.model_copy(update={"openai_base_url": openai_server.base_url, "openai_model": "local"})
    interpreter = RequestInterpreter(OpenAIChatModel(client, "local"), PriceTable.from_settings(settings))
    chat = ChatService(
        runtime.database, runtime.service, Dialog(settings, confirm_always=True), interpreter=interpreter
    )
    outcome = await chat.handle(THREAD, "r/smallbusiness r/freelance about invoices what do small shop owners say")
    assert openai_server.state.chats() == []
    assert outcome.parse_cost == 0
    assert any("Estimate: " in m for m in outcome.messages), outcome.messages


async def test_a_server_refusing_json_schema_is_asked_for_a_json_object(
    runtime: Runtime, openai_server: OpenAIServer
) -> None:
    openai_server.state.refuse_json_schema = True
    openai_server.state.then(Scripted(content="Sure! " + json.dumps(READING)))
    outcome = await service(runtime, openai_server).handle(
        THREAD, "what do small shop owners and accountants moan about with bookkeeping"
    )
    assert [c.body["response_format"]["type"] for c in openai_server.state.chats()] == ["json_schema", "json_object"]
    assert outcome.parsed is not None and outcome.parsed.subreddits == ["smallbusiness", "Accounting"]
    assert outcome.parse_cost > 0
