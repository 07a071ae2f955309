"""Optional embeddings: themes that mean the same thing are merged, paid for once, within budget."""

from __future__ import annotations

from decimal import Decimal

from openai import AsyncOpenAI

from oppscout.core.analysis.budget import AnalysisBudget, MemoryCache
from oppscout.core.analysis.engine import LocalEngine
from oppscout.core.contract import AnalysisRequest
from oppscout.core.corpus import RedditItem
from oppscout.core.costs import CostGovernor, PriceTable
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.ledger import SqlLedger
from oppscout.core.settings import ModelPrice, Settings
from oppscout.jobs.llm.client import OpenAIEmbeddings
from oppscout.jobs.sources.demo import DemoSource
from tests.core.analysis.builders import NOW, request
from tests.fakes.openai_server import OpenAIServer
from tests.helpers import insert_analysis

MODEL = "text-embedding-3-small"
PAYMENTS = ("invoice", "payment", "paid", "card", "churn", "dunning", "late")


def _meaning(text: str) -> list[float]:
    # Everything about getting paid means one thing; every other theme its own thing.
    if any(word in text.lower() for word in PAYMENTS):
        return [1.0, 0.0, 0.0]
    code = sum(map(ord, text)) % 97
    return [0.0, 1.0, code / 97]


async def _progress(done: int, expected: int, message: str | None = None) -> None:
    return None


async def _corpus() -> tuple[list[RedditItem], AnalysisRequest]:
    source = DemoSource(now=NOW)
    req = request(["smallbusiness", "freelance", "SaaS", "Entrepreneur", "startups", "Accounting"])
    posts = (await source.fetch_posts(req, _progress)).posts
    comments = (await source.fetch_comments(posts, 60, _progress)).comments
    return posts + comments, req


def _engine(server: OpenAIServer, settings: Settings) -> LocalEngine:
    prices = dict(settings.model_prices)
    prices[MODEL] = ModelPrice(input_per_million=Decimal("0.02"), output_per_million=Decimal("0"))
    client = AsyncOpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0)
    return LocalEngine(OpenAIEmbeddings(client, MODEL), PriceTable(prices))


async def test_themes_about_the_same_problem_merge_and_the_call_is_paid_once(
    openai_server: OpenAIServer, settings: Settings, database: Database
) -> None:
    openai_server.state.embed_rule = _meaning
    items, req = await _corpus()
    plain = await LocalEngine().analyze(items, req)
    analysis_id = await insert_analysis(database, req)
    cache = MemoryCache()
    budget = AnalysisBudget(CostGovernor(analysis_id, req.max_cost, SqlLedger(database)), cache)
    engine = _engine(openai_server, settings)
    merged = await engine.analyze(items, req, budget)
    # All the getting-paid themes became one, bigger than any theme without embeddings.
    assert merged.opportunities[0].distinct_authors > plain.opportunities[0].distinct_authors
    assert len(merged.opportunities) <= len(plain.opportunities)
    spent = (await budget.governor.totals()).spent
    assert Decimal(0) < spent < Decimal("0.001")
    calls = [r for r in openai_server.state.received if r.path.endswith("/embeddings")]
    assert len(calls) == 1
    # A retried job reuses the stored vectors: no second call, no second charge.
    again = await engine.analyze(items, req, budget)
    assert len([r for r in openai_server.state.received if r.path.endswith("/embeddings")]) == 1
    assert (await budget.governor.totals()).spent == spent
    assert [o.title for o in again.opportunities] == [o.title for o in merged.opportunities]


async def test_without_room_in_the_budget_themes_stay_as_grouped_by_words(
    openai_server: OpenAIServer, settings: Settings, database: Database
) -> None:
    items, req = await _corpus()
    analysis_id = await insert_analysis(database, req)
    budget = AnalysisBudget(CostGovernor(analysis_id, Decimal("0"), SqlLedger(database)), MemoryCache())
    results = await _engine(openai_server, settings).analyze(items, req, budget)
    plain = await LocalEngine().analyze(items, req)
    assert [o.title for o in results.opportunities] == [o.title for o in plain.opportunities]
    assert any("grouped by shared words only" in n for n in results.notes)
    assert openai_server.state.received == []
