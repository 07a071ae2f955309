"""Reddit calls are reserved before they are sent and keyed by what they buy.

The real praw talks to the fake Reddit; the runner's ledger is the real SQL ledger. What a user
would notice: a budget that cannot pay for a call stops the analysis before Reddit is asked, the
bill never passes the budget, and a stage run again after a crash is not charged again.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import update

from oppscout.core.analysis.engine import LocalEngine
from oppscout.core.contract import AnalysisStatus, Stage
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.ledger import ledger_totals
from oppscout.core.db.tables import StageJobRow
from oppscout.core.errors import BudgetExceededError
from oppscout.core.runner import AnalysisRunner, RunnerParts
from oppscout.core.settings import Settings
from oppscout.jobs.sources.reddit import RedditSource
from tests.fakes.reddit_server import FakeRedditServer
from tests.helpers import insert_analysis, make_request
from tests.jobs.sources.conftest import reddit_settings

# $0.10 a call: a budget of $0.30 pays for three calls and no more.
TEN_CENTS_A_CALL = Decimal("100")


class Silent:
    """A notifier that drops events (this test reads the ledger and the fake's log)."""

    async def publish(self, event: object) -> None:
        return None


def listing_calls(server: FakeRedditServer) -> int:
    return sum(1 for r in server.api_requests() if r.path.endswith(("/new/", "/new", "/search/", "/search")))


async def runner_for(
    settings: Settings, database: Database, server: FakeRedditServer, **overrides: object
) -> tuple[AnalysisRunner, RedditSource]:
    priced = reddit_settings(settings, server, reddit_price_per_1000_calls_usd=TEN_CENTS_A_CALL, **overrides)
    source = RedditSource(priced, database)
    return AnalysisRunner(RunnerParts(priced, database, source, LocalEngine(), Silent())), source


@pytest.mark.parametrize(("budget", "most_calls"), [("0", 0), ("0.30", 3)])
async def test_a_budget_that_cannot_pay_for_a_call_stops_before_reddit_is_asked(
    settings: Settings, database: Database, small_fake: FakeRedditServer, budget: str, most_calls: int
) -> None:
    runner, source = await runner_for(settings, database, small_fake)
    analysis_id = await insert_analysis(database, make_request(["smallbusiness", "freelance"], max_cost=budget))

    with pytest.raises(BudgetExceededError):
        await runner.collect_posts(analysis_id)

    assert len(small_fake.api_requests()) <= most_calls
    assert listing_calls(small_fake) <= most_calls
    async with database.unit_of_work() as session:
        totals = await ledger_totals(session, analysis_id)
    assert totals.spent + totals.reserved <= Decimal(budget)
    assert totals.reddit_calls == len(small_fake.api_requests())
    await source.close()


async def test_a_stage_run_again_after_a_crash_pays_once_for_the_same_calls(
    settings: Settings, database: Database, small_fake: FakeRedditServer
) -> None:
    # No cache, so the second run really asks Reddit again for the same pages (the worst case).
    runner, source = await runner_for(settings, database, small_fake, reddit_cache_ttl_seconds=0)
    analysis_id = await insert_analysis(database, make_request(["smallbusiness", "freelance"], days=7))
    assert await runner.collect_posts(analysis_id)
    first = len(small_fake.api_requests())
    async with database.unit_of_work() as session:
        paid_once = await ledger_totals(session, analysis_id)
        # As if the worker died after its calls, before the stage was recorded as done.
        await session.execute(
            update(StageJobRow)
            .where(StageJobRow.analysis_id == analysis_id, StageJobRow.stage == Stage.REDDIT_COLLECTION)
            .values(status=AnalysisStatus.PROCESSING)
        )

    assert await runner.collect_posts(analysis_id)

    assert len(small_fake.api_requests()) > first  # Reddit was asked again
    async with database.unit_of_work() as session:
        totals = await ledger_totals(session, analysis_id)
    assert first > 0
    assert totals.reddit_calls == paid_once.reddit_calls == first
    assert totals.spent == paid_once.spent == TEN_CENTS_A_CALL * first / 1000
    assert totals.reserved == 0
    await source.close()
