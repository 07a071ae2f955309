"""The fake OpenAI server and the real openai client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openai import AsyncOpenAI

from oppscout.core.analysis.synthesis import SynthesisEngine
from oppscout.core.costs import PriceTable
from oppscout.core.settings import Settings
from oppscout.jobs.llm.client import OpenAIChatModel
from tests.fakes.openai_server import OpenAIServer

MODEL = "gpt-4o-mini"
# Short enough that a scripted slow reply is a timeout, long enough for a loaded CI machine.
CLIENT_TIMEOUT = 1.0


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A fresh fake for each test."""
    server = OpenAIServer().start()
    yield server
    server.stop()


@pytest.fixture
def engine(openai_server: OpenAIServer, settings: Settings) -> SynthesisEngine:
    """The synthesis engine on the real openai client, talking to the fake."""
    client = AsyncOpenAI(api_key="sk-test", base_url=openai_server.base_url, timeout=CLIENT_TIMEOUT, max_retries=0)
    return SynthesisEngine(
        OpenAIChatModel(client, MODEL),
        PriceTable(settings.model_prices),
        max_themes=3,
        max_output_tokens=settings.llm_max_output_tokens,
        max_attempts=3,
        backoff_seconds=0,
    )
