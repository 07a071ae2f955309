"""Rate limits and faults: waits are announced, 429/5xx are retried, a long outage fails cleanly."""

from __future__ import annotations

import pytest

from oppscout.core.db.database import Database
from oppscout.core.errors import SourceUnavailableError
from oppscout.core.settings import Settings
from oppscout.jobs.sources.reddit import RedditSource
from tests.fakes.reddit_server import FakeRedditServer, Fault
from tests.jobs.sources.conftest import ProgressLog, make_request, reddit_settings
from tests.jobs.sources.test_reddit_posts import expected_ids

WAIT_1S = "waiting for Reddit's rate limit (1 s)"


async def test_a_429_in_the_middle_of_a_collection_is_waited_out(
    source: RedditSource, small_fake: FakeRedditServer
) -> None:
    request = make_request(["smallbusiness", "freelance"], 10)
    small_fake.fake.faults.append(Fault("/new/", 429, times=1, after=1, headers={"retry-after": "1"}))
    progress = ProgressLog()

    batch = await source.fetch_posts(request, progress)

    assert {p.reddit_id for p in batch.posts} == expected_ids(small_fake, request)
    assert WAIT_1S in progress.messages
    # The refused request counts too: Reddit counts it against the limit.
    assert batch.api_calls == len(small_fake.api_requests())
    cursors = [r.params.get("after") for r in small_fake.api_requests() if r.path.endswith("/new/")]
    assert len(cursors) == len(set(cursors)) + 1, "only the refused page is asked for twice"


async def test_server_errors_back_off_and_retry(
    settings: Settings, database: Database, small_fake: FakeRedditServer
) -> None:
    source = RedditSource(reddit_settings(settings, small_fake, reddit_max_backoff_seconds=1), database)
    request = make_request(["freelance"], 5)
    small_fake.fake.faults.append(Fault("/new/", 503, times=2))
    progress = ProgressLog()

    batch = await source.fetch_posts(request, progress)

    assert {p.reddit_id for p in batch.posts} == expected_ids(small_fake, request)
    assert progress.messages.count(WAIT_1S) == 2


async def test_a_long_outage_fails_clearly_and_keeps_what_was_fetched(
    settings: Settings, database: Database, small_fake: FakeRedditServer
) -> None:
    options = {"reddit_max_backoff_seconds": 1, "reddit_max_outage_seconds": 2}
    source = RedditSource(reddit_settings(settings, small_fake, **options), database)
    request = make_request(["smallbusiness", "freelance"], 12)
    small_fake.fake.faults.append(Fault("/new/", 503, times=1000, after=1))

    with pytest.raises(SourceUnavailableError) as failure:
        await source.fetch_posts(request, ProgressLog())

    assert "Reddit kept failing" in failure.value.message and "ask again" in failure.value.message
    small_fake.fake.faults.clear()
    small_fake.fake.requests.clear()
    batch = await source.fetch_posts(request, ProgressLog())
    assert {p.reddit_id for p in batch.posts} == expected_ids(small_fake, request)
    # The page fetched before the outage is not asked for again: the retry continues after it.
    assert all("after" in r.params for r in small_fake.api_requests() if r.path.endswith("/new/"))


async def test_running_low_on_the_rate_limit_waits_and_says_so(
    source: RedditSource, small_fake: FakeRedditServer
) -> None:
    small_fake.fake.set_ratelimit(remaining=3, reset=1)
    progress = ProgressLog()

    batch = await source.fetch_posts(make_request(["smallbusiness", "freelance"], 12), progress)

    assert WAIT_1S in progress.messages
    assert batch.posts
