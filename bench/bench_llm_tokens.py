"""LLM input tokens per analysis: ours (top themes, excerpts only) versus per-post extraction.

Per-post extraction tools send every candidate post (one with any product signal) to the model,
one call each. Both sides are counted on the same corpus in the same run, with the same token
estimator and the same system prompt, and ours is what SynthesisEngine really sends (recorded).

Run: uv run python -m bench.bench_llm_tokens [--posts 10000 --comments 50000]
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bench.corpus_2013 import build
from oppscout.core.analysis.budget import AnalysisBudget, MemoryCache
from oppscout.core.analysis.engine import PRODUCT_SIGNALS
from oppscout.core.analysis.llm_call import OutputFormat
from oppscout.core.analysis.signals import detect, is_usable
from oppscout.core.analysis.synthesis import SYSTEM, ChatReply, SynthesisEngine, estimate_tokens, per_post_message
from oppscout.core.contract import AnalysisRequest, utcnow
from oppscout.core.corpus import ItemKind, RedditItem
from oppscout.core.costs import CostGovernor, PriceTable
from oppscout.core.settings import Settings
from oppscout.jobs.sources.demo import DemoSource
from tests.jobs.llm.test_budget_property import ANSWER, MemoryLedger


class CountingChat:
    """A model that answers at once and counts the input tokens it was sent."""

    model = "gpt-4o-mini"

    def __init__(self) -> None:
        self.tokens_in = 0
        self.calls = 0

    async def count_tokens(self, texts: Sequence[str]) -> int | None:
        return None

    async def complete(
        self, system: str, user: str, *, max_tokens: int, schema: dict[str, Any], output: OutputFormat = "json_schema"
    ) -> ChatReply:
        tokens = estimate_tokens(system, user)
        self.tokens_in += tokens
        self.calls += 1
        return ChatReply(content=ANSWER, tokens_in=tokens, tokens_out=60)


async def compare(name: str, items: list[RedditItem], request: AnalysisRequest) -> None:
    chat = CountingChat()
    engine = SynthesisEngine(chat, PriceTable(Settings(_env_file=None).model_prices), max_themes=5)
    budget = AnalysisBudget(CostGovernor("bench", Decimal("100"), MemoryLedger()), MemoryCache())
    await engine.analyze(items, request, budget)
    candidates = [
        i
        for i in items
        if i.kind == ItemKind.POST and is_usable(i) and any(s.kind in PRODUCT_SIGNALS for s in detect(i))
    ]
    theirs = sum(estimate_tokens(SYSTEM, per_post_message(p)) for p in candidates)
    posts = sum(1 for i in items if i.kind == ItemKind.POST)
    print(
        f"{name}: {posts} posts, {len(items) - posts} comments; ours {chat.tokens_in:,} input tokens in "
        f"{chat.calls} calls; per-post {theirs:,} in {len(candidates)} calls; ours = {chat.tokens_in / theirs:.1%}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=50_000)
    args = parser.parse_args()

    async def progress(done: int, expected: int, message: str | None = None) -> None:
        return None

    source = DemoSource(now=utcnow())
    window = AnalysisRequest.model_validate(
        {
            "subreddits": source.subreddits,
            "timeRange": {"start": (utcnow() - timedelta(days=30)).isoformat(), "end": utcnow().isoformat()},
            "maxCost": "1",
        }
    )
    posts = (await source.fetch_posts(window, progress)).posts
    comments = (await source.fetch_comments(posts, 60, progress)).comments
    await compare("demo data set", posts + comments, window)
    items, request = build(args.posts, args.comments)
    await compare("2013 corpus", items, request)


if __name__ == "__main__":
    asyncio.run(main())
