"""Collecting posts from (a fake) Reddit through the real praw: auth, multireddit, search, cap, names."""

from __future__ import annotations

import base64
import math
import re
from datetime import UTC, datetime

import pytest

from oppscout.core.analysis.relevance import word_variants
from oppscout.core.contract import AnalysisRequest
from oppscout.core.db.database import Database
from oppscout.core.errors import InvalidRequestError
from oppscout.core.settings import Settings
from oppscout.jobs.sources.reddit import RedditSource
from tests.fakes.reddit_server import FakeRedditServer
from tests.jobs.sources.conftest import MakeFake, ProgressLog, make_request, reddit_settings


def _said(word: str, text: str) -> bool:
    # One of the word's forms, as a whole word: what Reddit's search finds for the variants sent.
    return any(re.search(rf"(?<![\w']){re.escape(f)}(?![\w'])", text) for f in word_variants(word))


def expected_ids(server: FakeRedditServer, request: AnalysisRequest, keywords: list[str] | None = None) -> set[str]:
    """What Reddit holds for the request: posts of its subreddits in its window (and keywords)."""
    subs = {s.lower() for s in request.subreddits}
    found = set()
    for post in server.fake.posts:
        created = datetime.fromtimestamp(float(post["created_utc"]), UTC)
        text = f"{post['title']}\n{post['selftext']}".lower()
        if post["subreddit"].lower() not in subs or post["id"] in server.fake.removed:
            continue
        if not request.time_range.start <= created <= request.time_range.end:
            continue
        if keywords and not any(all(_said(w, text) for w in k.lower().split()) for k in keywords):
            continue
        found.add(post["id"])
    return found


def listing_requests(server: FakeRedditServer) -> list[str]:
    return [r.path for r in server.api_requests() if r.path.endswith(("/new/", "/search/"))]


async def test_app_only_oauth_with_reddits_user_agent_form(source: RedditSource, small_fake: FakeRedditServer) -> None:
    await source.fetch_posts(make_request(["smallbusiness"], 2), ProgressLog())

    token = small_fake.fake.requests[0]
    assert token.path == "/api/v1/access_token"
    assert token.params["grant_type"] == "client_credentials"
    assert token.headers["Authorization"] == "Basic " + base64.b64encode(b"fake-client:fake-secret").decode()
    for request in small_fake.fake.requests:
        assert request.headers["User-Agent"].startswith("server:oppscout:0.1.0 (by /u/oppscout_tests)")
    assert all(r.headers["Authorization"] == "bearer fake-access-token" for r in small_fake.api_requests())


async def test_all_subreddits_come_from_one_multireddit_listing(
    source: RedditSource, small_fake: FakeRedditServer
) -> None:
    request = make_request(["smallbusiness", "freelance"], 7)
    progress = ProgressLog()

    batch = await source.fetch_posts(request, progress)

    wanted = expected_ids(small_fake, request)
    assert {p.reddit_id for p in batch.posts} == wanted
    assert {p.subreddit for p in batch.posts} == {"smallbusiness", "freelance"}
    paths = listing_requests(small_fake)
    assert set(paths) == {"/r/freelance+smallbusiness/new/"}
    # Pages of 100 until one reaches past the window: at most one page more than the lower bound.
    assert len(paths) <= math.ceil(len(wanted) / 100) + 1
    assert batch.api_calls == len(small_fake.api_requests())
    assert not batch.truncated and not batch.notes
    assert progress.counts[-1][0] == len(wanted)


async def test_keywords_search_with_lucene_sorted_new_in_the_smallest_time_filter(
    source: RedditSource, small_fake: FakeRedditServer
) -> None:
    request = make_request(["smallbusiness", "freelance"], 5, keywords=["client", "late payment"])

    batch = await source.fetch_posts(request, ProgressLog())

    searches = [r for r in small_fake.api_requests() if r.path.endswith("/search/")]
    assert searches, "keyword requests must use Reddit search"
    first = searches[0].params
    # Each word carries its forms, and a phrase's words are ANDed: "late payment" finds "paying late".
    assert first["q"].startswith('("client" OR "clients"')
    assert '(("late"' in first["q"] and '"paying"' in first["q"] and " AND " in first["q"]
    assert (first["syntax"], first["sort"], first["t"], first["restrict_sr"]) == ("lucene", "new", "week", "on")
    # t=week reaches back 7 days; only the 5 days asked for are kept.
    assert {p.reddit_id for p in batch.posts} == expected_ids(small_fake, request, ["client", "late payment"])
    assert all(request.time_range.start <= p.created_at <= request.time_range.end for p in batch.posts)


async def test_listing_cap_truncates_and_says_how_to_narrow(
    settings: Settings, database: Database, make_fake: MakeFake
) -> None:
    # 2,000 posts in 20 days: more than the ~1,000 Reddit lists.
    server = make_fake(["freelance"], spread_days=20, copies=2)
    source = RedditSource(reddit_settings(settings, server), database)
    request = make_request(["freelance"], 19)

    batch = await source.fetch_posts(request, ProgressLog())

    wanted = expected_ids(server, request)
    assert len(wanted) > 1500
    assert batch.truncated
    # Everything reachable was kept: the newest 1,000.
    newest = sorted(server.fake.posts, key=lambda p: -float(p["created_utc"]))[:1000]
    assert {p.reddit_id for p in batch.posts} == {p["id"] for p in newest} & wanted
    assert len(listing_requests(server)) == 10
    note = " ".join(batch.notes)
    assert "truncated" in note and "narrow the request" in note and "shorter window" in note
    await source.close()


async def test_a_multireddit_past_the_cap_is_split_per_subreddit(
    settings: Settings, database: Database, make_fake: MakeFake
) -> None:
    server = make_fake(["smallbusiness", "freelance"], spread_days=20)
    source = RedditSource(reddit_settings(settings, server), database)
    request = make_request(["smallbusiness", "freelance"], 19)

    batch = await source.fetch_posts(request, ProgressLog())
    server.fake.requests.clear()
    again = await source.fetch_posts(request, ProgressLog())

    wanted = expected_ids(server, request)
    assert len(wanted) > 1000
    assert {p.reddit_id for p in batch.posts} == wanted and not batch.truncated
    # One probe page of the multireddit, then each subreddit's own listing.
    assert batch.api_calls <= 1 + 1 + sum(math.ceil(len(wanted & sub) / 100) + 1 for sub in by_sub(server))
    assert again.api_calls == 0, "the split is remembered: a repeat does not probe again"
    await source.close()


def by_sub(server: FakeRedditServer) -> list[set[str]]:
    subs: dict[str, set[str]] = {}
    for post in server.fake.posts:
        subs.setdefault(post["subreddit"], set()).add(post["id"])
    return list(subs.values())


async def test_deleted_and_removed_posts_are_not_shown(
    settings: Settings, database: Database, small_fake: FakeRedditServer
) -> None:
    request = make_request(["freelance"], 7)
    fresh = RedditSource(reddit_settings(settings, small_fake, reddit_cache_ttl_seconds=0), database)
    first = await fresh.fetch_posts(request, ProgressLog())
    # The newest post: the page a refresh after the TTL reads again.
    taken_down = max(first.posts, key=lambda p: p.created_at).reddit_id
    small_fake.fake.removed.add(taken_down)

    again = await fresh.fetch_posts(make_request(["freelance"], 7), ProgressLog())

    assert taken_down in {p.reddit_id for p in first.posts}
    assert taken_down not in {p.reddit_id for p in again.posts}
    assert len(again.posts) == len(first.posts) - 1


async def test_unreadable_subreddits_are_reported_by_name_with_what_to_do(
    source: RedditSource, small_fake: FakeRedditServer
) -> None:
    small_fake.fake.add_subreddit("secretclub", "private")
    small_fake.fake.add_subreddit("edgelords", "quarantined")
    small_fake.fake.add_subreddit("gonesub", "banned")
    request = make_request(["smallbusiness", "secretclub", "edgelords", "gonesub", "smallbusines"], 3)

    batch = await source.fetch_posts(request, ProgressLog())

    notes = "\n".join(batch.notes)
    assert "r/secretclub is private" in notes and "Pick a public one" in notes
    assert "r/edgelords is quarantined" in notes
    assert "r/gonesub was banned" in notes and "Remove it" in notes
    assert "There is no r/smallbusines on Reddit. Did you mean r/smallbusiness?" in notes
    assert "goes on with r/smallbusiness" in notes
    assert set(listing_requests(small_fake)) == {"/r/smallbusiness/new/"}
    assert {p.subreddit for p in batch.posts} == {"smallbusiness"}


async def test_a_request_with_no_readable_subreddit_fails_with_the_reasons(
    source: RedditSource, small_fake: FakeRedditServer
) -> None:
    small_fake.fake.add_subreddit("secretclub", "private")

    with pytest.raises(InvalidRequestError) as failure:
        await source.fetch_posts(make_request(["secretclub", "nosuchplace"], 3), ProgressLog())

    assert "None of the subreddits can be analysed" in failure.value.message
    assert "r/secretclub is private" in failure.value.message
    assert "There is no r/nosuchplace" in failure.value.message
    assert listing_requests(small_fake) == []


async def test_transcribed_and_misspelt_names_are_resolved_for_confirmation(
    source: RedditSource, small_fake: FakeRedditServer
) -> None:
    resolution = await source.resolve_subreddits(["small business", "free lance", "smallbusines", "freelance"])

    assert [(n.asked, n.resolved) for n in resolution.to_confirm] == [
        ("small business", "smallbusiness"),
        ("free lance", "freelance"),
    ]
    assert resolution.readable == ["freelance"]
    assert [n.suggestions for n in resolution.problems] == [["smallbusiness"]]
    assert "By 'small business' did you mean r/smallbusiness?" in resolution.message
    assert "There is no r/smallbusines on Reddit. Did you mean r/smallbusiness?" in resolution.message
    name_search = [r for r in small_fake.api_requests() if r.path == "/api/search_reddit_names/"]
    assert [r.params["query"] for r in name_search] == ["smallbusines"]
