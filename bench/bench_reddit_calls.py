"""Reddit API calls per analysis against the lower bound, cold and warm, through the real praw.

Run: uv run python -m bench.bench_reddit_calls [--subreddits 4 --posts 600 --days 9]
Needs ../shared (real 2013 posts). A fake Reddit on 127.0.0.1 (tests/fakes/reddit_server.py)
serves the posts with timestamps spread over 10 days; the analysis asks for the last ``--days``.

Lower bound = ceil(posts / 100) listing pages + one call per post whose comments are fetched.
Target: calls ≤ 1.15 × lower bound; a warm repeat of the same analysis makes 0 listing calls.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr

from oppscout.core.contract import AnalysisRequest, utcnow
from oppscout.core.db.database import Database
from oppscout.core.runner import MAX_COMMENT_CALLS
from oppscout.core.settings import Settings
from oppscout.jobs.sources.reddit import RedditSource
from tests.fakes.reddit_server import FakeReddit, FakeRedditServer

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SUBREDDITS = ["smallbusiness", "freelance", "Entrepreneur", "startups", "SaaS", "marketing", "webdev", "SEO"]


async def no_progress(done: int, expected: int, message: str | None = None) -> None:
    """The benchmark does not show progress."""


async def analysis(source: RedditSource, server: FakeRedditServer, request: AnalysisRequest) -> dict[str, float]:
    """Collect posts and comments as the runner's two stages do; count what Reddit was asked."""
    server.fake.requests.clear()
    started = time.perf_counter()
    posts = await source.fetch_posts(request, no_progress)
    comments = await source.fetch_comments(posts.posts, MAX_COMMENT_CALLS, no_progress)
    seconds = time.perf_counter() - started
    asked = server.api_requests()
    trees = {r.path for r in asked if r.path.startswith("/comments/")}
    listing = [r for r in asked if r.path.endswith(("/new/", "/search/"))]
    lower = math.ceil(len(posts.posts) / 100) + len(trees)
    return {
        "posts": len(posts.posts),
        "comments": len(comments.comments),
        "calls": posts.api_calls + comments.api_calls,
        "listing": len(listing),
        "other": len(asked) - len(listing) - len(trees),
        "trees": len(trees),
        "lower": lower,
        "seconds": seconds,
        "truncated": float(posts.truncated),
    }


async def run(subreddits: int, posts: int, days: float) -> None:
    names = [s for s in SUBREDDITS if (SHARED / f"data/reddit/top-posts-2013/data/{s}.csv").exists()][:subreddits]
    server = FakeRedditServer(FakeReddit(SHARED, names, posts_per_subreddit=posts, spread_days=10)).start()
    folder = Path(tempfile.mkdtemp(prefix="bench-reddit-"))
    settings = Settings(
        data_dir=folder,
        source="reddit",
        reddit_client_id=SecretStr(server.fake.client_id),
        reddit_client_secret=SecretStr(server.fake.client_secret),
        reddit_oauth_url=server.url,
        reddit_url=server.url,
        _env_file=None,
    )
    database = Database(settings.resolved_database_url)
    await database.migrate()
    now = utcnow()
    request = AnalysisRequest.model_validate(
        {"subreddits": names, "timeRange": {"start": now - timedelta(days=days), "end": now}, "maxCost": 1}
    )
    try:
        cold = await analysis(RedditSource(settings, database), server, request)
        # A new source, as another worker would be: the cache lives in the database.
        warm = await analysis(RedditSource(settings, database), server, request)
    finally:
        server.stop()
        await database.close()
    print(f"corpus: {len(server.fake.posts)} real posts in r/{'+'.join(names)}, window {days:g} days")
    for label, figures in (("cold", cold), ("warm repeat", warm)):
        ratio = figures["calls"] / figures["lower"] if figures["lower"] else 0.0
        print(
            f"{label}: {figures['posts']:.0f} posts, {figures['comments']:.0f} comments; "
            f"{figures['calls']:.0f} API calls = {figures['listing']:.0f} listing + {figures['trees']:.0f} comment trees "
            f"+ {figures['calls'] - figures['listing'] - figures['trees']:.0f} other (names, load more, retries); "
            f"lower bound {figures['lower']:.0f}; ratio {ratio:.3f}; {figures['seconds']:.1f} s"
            + ("; TRUNCATED" if figures["truncated"] else "")
        )
    print(f"calls / lower bound (cold): {cold['calls'] / cold['lower']:.3f} (target <= 1.15)")
    print(f"listing calls on the warm repeat: {warm['listing']:.0f} (target 0)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subreddits", type=int, default=4)
    parser.add_argument("--posts", type=int, default=600, help="posts per subreddit")
    parser.add_argument("--days", type=float, default=9)
    args = parser.parse_args()
    asyncio.run(run(args.subreddits, args.posts, args.days))


if __name__ == "__main__":
    main()
