"""Comments: the posts worth it, a bounded replace_more, flattened with parents, noise dropped, cached."""

from __future__ import annotations

from oppscout.core.corpus import RedditItem
from oppscout.jobs.sources.reddit import RedditSource
from oppscout.jobs.sources.reddit_comments import choose_posts
from tests.fakes.reddit_server import FakeRedditServer, Fault
from tests.jobs.sources.conftest import ProgressLog, make_request


async def collected_posts(source: RedditSource) -> list[RedditItem]:
    batch = await source.fetch_posts(make_request(["smallbusiness", "freelance"], 7), ProgressLog())
    return batch.posts


async def test_comments_are_flattened_with_parents_and_noise_is_dropped(
    source: RedditSource, small_fake: FakeRedditServer
) -> None:
    posts = await collected_posts(source)
    small_fake.fake.requests.clear()
    progress = ProgressLog()

    batch = await source.fetch_comments(posts, 10, progress)

    fetched = {r.path.split("/")[2] for r in small_fake.api_requests() if r.path.startswith("/comments/")}
    served = [c for k, c in small_fake.fake._comments.items() if k.split(":")[0] in fetched]
    noise = [c for c in served if c["author"] in {"[deleted]", "AutoModerator"} or c["body"] in {"lol", "[removed]"}]
    assert noise, "the fake served deleted, removed, AutoModerator and near-empty comments"
    assert batch.comments
    kept = {c.reddit_id for c in batch.comments}
    assert not kept & {c["id"] for c in noise}
    ids_in_trees = {c["id"] for c in served}
    for comment in batch.comments:
        assert comment.post_id in fetched
        assert comment.parent_id == comment.post_id or comment.parent_id in ids_in_trees
        assert comment.permalink.startswith(f"https://www.reddit.com/r/{comment.subreddit}/comments/{comment.post_id}/")
    # Some came from "load more" stubs (bounded replace_more).
    hidden = {c["id"] for c in served if c.get("_hidden")}
    assert kept & hidden
    assert batch.api_calls == len(small_fake.api_requests()) <= 10
    assert progress.counts[-1][0] == len(batch.comments)
    assert [done for done, _ in progress.counts] == sorted(done for done, _ in progress.counts)


async def test_the_budget_buys_the_most_engaged_posts_first(source: RedditSource, small_fake: FakeRedditServer) -> None:
    posts = await collected_posts(source)
    small_fake.fake.requests.clear()

    batch = await source.fetch_comments(posts, 5, ProgressLog())

    trees = [r.path.split("/")[2] for r in small_fake.api_requests() if r.path.startswith("/comments/")]
    chosen, _ = choose_posts(posts, 5)
    assert trees == [p.reddit_id for p in chosen]
    assert len(trees) == 4, "a share of the budget is kept for 'load more'"
    assert all(p.num_comments > 0 for p in chosen)
    # Worth is product signals first, then engagement: the chosen threads are, on the whole, the busy ones.
    median = sorted(p.num_comments for p in posts)[len(posts) // 2]
    assert sum(p.num_comments for p in chosen) / len(chosen) >= median
    assert sum(1 for p in chosen if p.num_comments >= median) > len(chosen) // 2
    assert batch.api_calls <= 5


async def test_comment_trees_read_again_come_from_the_cache(source: RedditSource, small_fake: FakeRedditServer) -> None:
    posts = await collected_posts(source)
    first = await source.fetch_comments(posts, 6, ProgressLog())
    small_fake.fake.requests.clear()

    again = await source.fetch_comments(posts, 6, ProgressLog())

    assert again.api_calls == 0 and small_fake.api_requests() == []
    assert {c.reddit_id for c in again.comments} == {c.reddit_id for c in first.comments}


async def test_a_429_while_reading_comments_is_waited_out(source: RedditSource, small_fake: FakeRedditServer) -> None:
    posts = await collected_posts(source)
    small_fake.fake.faults.append(Fault("/comments/", 429, times=1, after=1, headers={"retry-after": "1"}))
    progress = ProgressLog()

    batch = await source.fetch_comments(posts, 4, progress)

    assert "waiting for Reddit's rate limit (1 s)" in progress.messages
    trees = [r.path.split("/")[2] for r in small_fake.api_requests() if r.path.startswith("/comments/")]
    refused = trees[1]
    assert trees.count(refused) == 2, "the refused tree is asked for again"
    assert refused in {c.post_id for c in batch.comments}
    assert batch.api_calls <= 4, "the retry counts against the budget"


async def test_content_taken_down_since_collection_is_not_shown(
    source: RedditSource, small_fake: FakeRedditServer
) -> None:
    posts = await collected_posts(source)
    comments = (await source.fetch_comments(posts, 3, ProgressLog())).comments
    quoted = [posts[0], posts[1], comments[0], comments[1]]
    small_fake.fake.removed.update({posts[1].reddit_id, comments[1].reddit_id})
    small_fake.fake.requests.clear()

    visible = await source.still_visible(quoted)

    assert visible == {posts[0].reddit_id, comments[0].reddit_id}
    assert len(small_fake.api_requests()) == 1, "up to 100 items are checked in one call"
    again = await source.fetch_comments(posts, 3, ProgressLog())
    assert comments[1].reddit_id not in {c.reddit_id for c in again.comments}, "the cached copy was forgotten"
