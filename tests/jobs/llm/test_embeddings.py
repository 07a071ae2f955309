"""The embeddings adapter against the fake's /v1/embeddings, through the real openai client."""

from __future__ import annotations

import math

from openai import AsyncOpenAI

from oppscout.jobs.llm.client import OpenAIEmbeddings
from tests.fakes.openai_server import OpenAIServer


async def test_one_unit_vector_per_text_in_order(openai_server: OpenAIServer) -> None:
    client = AsyncOpenAI(api_key="sk-test", base_url=openai_server.base_url, max_retries=0)
    texts = ["clients pay late", "failed card payments", "clients pay late"]
    reply = await OpenAIEmbeddings(client, "text-embedding-3-small").embed(texts)
    vectors = reply.vectors
    assert reply.tokens > 0
    assert len(vectors) == 3
    assert vectors[0] == vectors[2] and vectors[0] != vectors[1]
    assert all(math.isclose(sum(x * x for x in v), 1.0, rel_tol=1e-6) for v in vectors)
    assert openai_server.state.received[-1].authorization == "Bearer sk-test"
