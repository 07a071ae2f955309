"""Retention: raw Reddit text older than the retention is purged; analyses keep their results."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from oppscout.core.contract import utcnow
from oppscout.core.corpus import ItemKind, RedditItem, post_permalink
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.repositories.items import ItemRepository
from oppscout.core.db.repositories.reddit_cache import ListingCoverage, RedditCacheRepository
from oppscout.core.db.tables import AnalysisRow
from oppscout.core.settings import Settings
from oppscout.jobs.tasks import purge_reddit_text


def post(reddit_id: str, age_days: float) -> RedditItem:
    return RedditItem(
        kind=ItemKind.POST,
        reddit_id=reddit_id,
        subreddit="smallbusiness",
        author="someone",
        title=f"post {reddit_id}",
        body="Invoicing takes me hours every week.",
        created_at=utcnow() - timedelta(days=age_days),
        permalink=post_permalink("smallbusiness", reddit_id),
    )


async def add_analysis(database: Database, analysis_id: str, finished_days_ago: float) -> None:
    finished = utcnow() - timedelta(days=finished_days_ago)
    async with database.unit_of_work() as session:
        await AnalysisRepository(session).add(
            AnalysisRow(
                id=analysis_id,
                status="completed",
                request={},
                created_at=finished - timedelta(minutes=5),
                completed_at=finished,
                results={"opportunities": [{"quote": "Invoicing takes me hours every week."}]},
            )
        )
        await ItemRepository(session).add_many(analysis_id, [post(f"{analysis_id}p", finished_days_ago)])


async def test_the_scheduled_purge_removes_old_raw_text_only(settings: Settings, database: Database) -> None:
    now = utcnow()
    async with database.unit_of_work() as session:
        cache = RedditCacheRepository(session)
        await cache.save_posts([post("old", 40)], now - timedelta(days=40))
        await cache.save_posts([post("new", 2)], now - timedelta(days=2))
        await cache.save_listing(ListingCoverage("new:smallbusiness", now - timedelta(days=41), now, now, None, False))
    await add_analysis(database, "oldanalysis", 45)
    await add_analysis(database, "newanalysis", 1)

    purged = await purge_reddit_text({"runner": SimpleNamespace(settings=settings, database=database)})

    assert purged == 2
    async with database.unit_of_work() as session:
        cache = RedditCacheRepository(session)
        kept = await cache.posts_by_origin("api", ["smallbusiness"], now - timedelta(days=60), now)
        listing = await cache.listing("new:smallbusiness")
        items = ItemRepository(session)
        old_items, new_items = await items.list("oldanalysis"), await items.list("newanalysis")
        old = await AnalysisRepository(session).get("oldanalysis")
    assert [p.reddit_id for p in kept] == ["new"]
    assert listing is None, "a listing that lost posts is fetched again, not trusted"
    assert old_items == [] and len(new_items) == 1
    assert old is not None and old.results == {"opportunities": [{"quote": "Invoicing takes me hours every week."}]}
