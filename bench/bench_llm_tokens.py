"""LLM input tokens per analysis: ours (top themes, excerpts only) versus per-post extraction, retries included.

Ours is what SynthesisEngine really sends, through the openai client, to the fake OpenAI-compatible
server on 127.0.0.1, under two servers: a well-behaved one, and a difficult one that refuses
``json_schema`` (HTTP 500, as llama-cpp-python's server does) and cuts its first answer off at
``max_tokens``, so every retry is sent and counted. Per-post extraction tools send every candidate
post (one with any product signal) to the model, one call each, and are counted without retries.
Both sides are counted in the same run by one real tokenizer: the WordPiece tokenizer bundled with
the all-MiniLM-L6-v2 package (nothing is downloaded), without truncation.

Run: uv run python -m bench.bench_llm_tokens [--posts 2000 --comments 8000]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import zipfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from openai import AsyncOpenAI
from tokenizers import Tokenizer

from bench.corpus_2013 import build
from oppscout.core.analysis.budget import AnalysisBudget, MemoryCache
from oppscout.core.analysis.encoder import MODEL_PACKAGE
from oppscout.core.analysis.engine import PRODUCT_SIGNALS
from oppscout.core.analysis.signals import detect, is_usable
from oppscout.core.analysis.synthesis import SYSTEM, SynthesisEngine, per_post_message
from oppscout.core.contract import AnalysisRequest, utcnow
from oppscout.core.corpus import ItemKind, RedditItem
from oppscout.core.costs import CostGovernor, PriceTable
from oppscout.core.settings import Settings
from oppscout.jobs.llm.client import OpenAIChatModel
from oppscout.jobs.sources.demo import DemoSource
from tests.fakes.openai_server import OpenAIServer, Scripted
from tests.jobs.llm.test_budget_property import MemoryLedger


def wordpiece() -> Tokenizer:
    """The bundled tokenizer, counting every piece (no truncation, no padding)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    assert spec is not None
    assert spec.submodule_search_locations
    archive = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    with zipfile.ZipFile(archive) as zf:
        tokenizer = Tokenizer.from_str(zf.read("tokenizer.json").decode("utf-8"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def count(tokenizer: Tokenizer, *texts: str) -> int:
    """Pieces of these texts, special tokens excluded."""
    return sum(len(e.ids) for e in tokenizer.encode_batch(list(texts), add_special_tokens=False))


async def ours(
    items: list[RedditItem], request: AnalysisRequest, tokenizer: Tokenizer, difficult: bool
) -> tuple[int, int]:
    """Input tokens of every chat request one analysis sent, and how many requests."""
    server = OpenAIServer().start()
    try:
        if difficult:
            server.state.refuse_json_schema = True
            server.state.then(Scripted(truncated=True))
        client = AsyncOpenAI(api_key="bench", base_url=server.base_url, timeout=30, max_retries=0)
        engine = SynthesisEngine(
            OpenAIChatModel(client, "gpt-4o-mini"), PriceTable(Settings(_env_file=None).model_prices), backoff_seconds=0
        )
        budget = AnalysisBudget(CostGovernor("bench", Decimal("100"), MemoryLedger()), MemoryCache())
        await engine.analyze(items, request, budget)
        await client.close()
    finally:
        server.stop()
    chats = server.state.chats()
    return sum(count(tokenizer, *(m["content"] for m in c.body["messages"])) for c in chats), len(chats)


def per_post(items: list[RedditItem], tokenizer: Tokenizer) -> tuple[int, int]:
    """Input tokens a per-post extraction pipeline sends: system prompt and one candidate post a call."""
    candidates = [
        i
        for i in items
        if i.kind == ItemKind.POST and is_usable(i) and any(s.kind in PRODUCT_SIGNALS for s in detect(i))
    ]
    system = count(tokenizer, SYSTEM)
    return sum(system + count(tokenizer, per_post_message(p)) for p in candidates), len(candidates)


async def compare(name: str, items: list[RedditItem], request: AnalysisRequest, tokenizer: Tokenizer) -> None:
    theirs, their_calls = per_post(items, tokenizer)
    posts = sum(1 for i in items if i.kind == ItemKind.POST)
    print(f"{name}: {posts} posts, {len(items) - posts} comments; per-post {theirs:,} tokens in {their_calls} calls")
    for difficult in (False, True):
        tokens, calls = await ours(items, request, tokenizer, difficult)
        server = "difficult server (json_schema refused, first answer cut off)" if difficult else "well-behaved server"
        calls_word = "call" if calls == 1 else "calls"
        print(f"  ours, {server}: {tokens:,} tokens in {calls} {calls_word} = {tokens / theirs:.2%} of per-post")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=2_000)
    parser.add_argument("--comments", type=int, default=8_000)
    args = parser.parse_args()
    tokenizer = wordpiece()

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
    await compare("demo data set", posts + comments, window, tokenizer)
    items, request = build(args.posts, args.comments)
    await compare("2013 corpus", items, request, tokenizer)


if __name__ == "__main__":
    asyncio.run(main())
