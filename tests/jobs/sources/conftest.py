"""Fixtures for the Reddit source: a fake Reddit on 127.0.0.1 that the real praw talks to."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from oppscout.core.contract import AnalysisRequest, utcnow
from oppscout.core.db.database import Database
from oppscout.core.settings import Settings
from oppscout.jobs.sources.reddit import RedditSource
from tests.fakes.reddit_server import FakeReddit, FakeRedditServer

MakeFake = Callable[..., FakeRedditServer]


@pytest.fixture
def make_fake(shared_dir: Path) -> Iterator[MakeFake]:
    """Start fake Reddits over real posts of the named subreddits; all are stopped after the test."""
    started: list[FakeRedditServer] = []

    def make(subreddits: list[str], **options: Any) -> FakeRedditServer:
        server = FakeRedditServer(FakeReddit(shared_dir, subreddits, **options)).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def reddit_settings(settings: Settings, server: FakeRedditServer, **overrides: Any) -> Settings:
    """Test settings pointing praw's OAuth and www URLs at the fake."""
    values: dict[str, Any] = {
        "source": "reddit",
        "reddit_client_id": SecretStr(server.fake.client_id),
        "reddit_client_secret": SecretStr(server.fake.client_secret),
        "reddit_oauth_url": server.url,
        "reddit_url": server.url,
        "reddit_username": "oppscout_tests",
        **overrides,
    }
    return settings.model_copy(update=values)


@pytest.fixture
async def small_fake(make_fake: MakeFake) -> FakeRedditServer:
    """Two subreddits, 150 real posts each spread over 20 days."""
    return make_fake(["smallbusiness", "freelance"], posts_per_subreddit=150, spread_days=20)


@pytest.fixture
async def source(settings: Settings, database: Database, small_fake: FakeRedditServer) -> AsyncIterator[RedditSource]:
    """The Reddit source against ``small_fake``."""
    reddit = RedditSource(reddit_settings(settings, small_fake), database)
    yield reddit
    await reddit.close()


def make_request(
    subreddits: list[str], days: float, keywords: list[str] | None = None, ago: float = 0
) -> AnalysisRequest:
    """A request for the last ``days`` days (ending ``ago`` days back)."""
    end = utcnow() - timedelta(days=ago)
    return AnalysisRequest.model_validate(
        {
            "subreddits": subreddits,
            "timeRange": {"start": (end - timedelta(days=days)).isoformat(), "end": end.isoformat()},
            "keywords": keywords,
            "maxCost": 1,
        }
    )


@dataclass
class ProgressLog:
    """Records what a source reports, like the runner's progress callback would."""

    counts: list[tuple[int, int]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    async def __call__(self, done: int, expected: int, message: str | None = None) -> None:
        """Record one report."""
        self.counts.append((done, expected))
        if message:
            self.messages.append(message)
