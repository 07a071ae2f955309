"""The Reddit cache: a repeat makes no listing calls, an overlapping window fetches only what is new."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from oppscout.core.contract import AnalysisRequest, utcnow
from oppscout.core.db.database import Database
from oppscout.core.settings import Settings
from oppscout.jobs.sources.reddit import RedditSource
from tests.fakes.reddit_server import FakeRedditServer
from tests.jobs.sources.conftest import MakeFake, ProgressLog, make_request, reddit_settings
from tests.jobs.sources.test_reddit_posts import expected_ids, listing_requests


def window(start: datetime, end: datetime, subreddits: list[str]) -> AnalysisRequest:
    return AnalysisRequest.model_validate(
        {"subreddits": subreddits, "timeRange": {"start": start.isoformat(), "end": end.isoformat()}, "maxCost": 1}
    )


async def test_a_repeat_within_the_ttl_makes_no_calls(
    settings: Settings, database: Database, small_fake: FakeRedditServer
) -> None:
    request = make_request(["smallbusiness", "freelance"], 7)
    first = await RedditSource(reddit_settings(settings, small_fake), database).fetch_posts(request, ProgressLog())
    small_fake.fake.requests.clear()

    # A new source (another worker, later) reads the same database.
    again = await RedditSource(reddit_settings(settings, small_fake), database).fetch_posts(request, ProgressLog())

    assert first.api_calls > 0
    assert again.api_calls == 0
    assert small_fake.api_requests() == []
    assert sorted(p.reddit_id for p in again.posts) == sorted(p.reddit_id for p in first.posts)


async def test_keyword_search_is_cached_too(source: RedditSource, small_fake: FakeRedditServer) -> None:
    request = make_request(["freelance"], 6, keywords=["client"])
    first = await source.fetch_posts(request, ProgressLog())
    small_fake.fake.requests.clear()

    again = await source.fetch_posts(request, ProgressLog())

    assert again.api_calls == 0 and first.posts
    assert {p.reddit_id for p in again.posts} == {p.reddit_id for p in first.posts}


async def test_after_the_ttl_a_repeat_asks_reddit_what_is_new(
    settings: Settings, database: Database, small_fake: FakeRedditServer
) -> None:
    source = RedditSource(reddit_settings(settings, small_fake, reddit_cache_ttl_seconds=0), database)
    request = make_request(["freelance"], 4)
    await source.fetch_posts(request, ProgressLog())

    again = await source.fetch_posts(request, ProgressLog())

    assert again.api_calls > 0


async def test_an_overlapping_later_window_fetches_only_what_is_new(
    settings: Settings, database: Database, make_fake: MakeFake
) -> None:
    server = make_fake(["smallbusiness", "freelance"], posts_per_subreddit=600, spread_days=10)
    real_now = utcnow()
    earlier = real_now - timedelta(days=3)
    # Three days ago, Reddit had only the posts created until then.
    server.fake.visible_until = earlier.timestamp()
    past = RedditSource(reddit_settings(settings, server), database, clock=lambda: earlier)
    await past.fetch_posts(window(earlier - timedelta(days=5), earlier, ["smallbusiness", "freelance"]), ProgressLog())
    server.fake.visible_until = None
    server.fake.requests.clear()

    request = window(real_now - timedelta(days=6), real_now, ["smallbusiness", "freelance"])
    later = RedditSource(reddit_settings(settings, server), database)
    batch = await later.fetch_posts(request, ProgressLog())

    assert {p.reddit_id for p in batch.posts} == expected_ids(server, request)
    new_posts = sum(1 for p in server.fake.posts if datetime.fromtimestamp(p["created_utc"], UTC) > earlier)
    pages = len(listing_requests(server))
    # Only the pages down to the cached stretch: about a third of what the whole window needs.
    assert pages <= math.ceil(new_posts / 100) + 1
    assert pages < math.ceil(len(batch.posts) / 100)


async def test_an_earlier_window_continues_from_the_saved_cursor(
    settings: Settings, database: Database, make_fake: MakeFake
) -> None:
    server = make_fake(["freelance"], posts_per_subreddit=600, spread_days=10)
    source = RedditSource(reddit_settings(settings, server), database)
    await source.fetch_posts(make_request(["freelance"], 2), ProgressLog())
    server.fake.requests.clear()

    request = make_request(["freelance"], 5)
    batch = await source.fetch_posts(request, ProgressLog())

    assert {p.reddit_id for p in batch.posts} == expected_ids(server, request)
    cursors = [r.params.get("after") for r in server.api_requests()]
    assert cursors and None not in cursors, "the newest pages came from the cache"
