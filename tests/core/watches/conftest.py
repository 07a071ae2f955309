"""Watch tests: a movable clock, the real database and queue, and the console messenger recording DMs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from oppscout.core.clock import use_clock
from oppscout.core.contract import AnalysisRequest, AnalysisStatus, Opportunity, OpportunityResults, Quote, utcnow
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.db.repositories.ledger import SqlLedger
from oppscout.core.db.repositories.outbox import OutboxRepository
from oppscout.core.db.repositories.watches import WatchRepository
from oppscout.core.db.tables import OutboxMessageRow, WatchRunRow
from oppscout.core.outbox import ConsoleMessenger, OutboxDispatcher
from oppscout.core.settings import Settings
from oppscout.core.spend import SpendGovernor
from oppscout.core.watches import WatchScheduler, WatchService
from oppscout.runtime import Runtime


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward."""
        self.now += timedelta(**delta)


@dataclass
class Watches:
    """Everything a watch test drives, sharing one clock."""

    runtime: Runtime
    database: Database
    settings: Settings
    clock: Clock
    messenger: ConsoleMessenger
    dispatcher: OutboxDispatcher
    scheduler: WatchScheduler
    service: WatchService
    spend: SpendGovernor

    def dms(self) -> list[str]:
        """Texts of the DMs delivered so far."""
        return [text for _, _, text in self.messenger.sent]

    def thread_posts(self) -> list[str]:
        """Texts posted in the watches' threads so far."""
        return [text for _, _, text in self.messenger.posted]

    async def runs(self, watch_id: int) -> list[WatchRunRow]:
        """A watch's runs, oldest first."""
        async with self.database.unit_of_work() as session:
            from sqlalchemy import select

            query = select(WatchRunRow).where(WatchRunRow.watch_id == watch_id).order_by(WatchRunRow.id)
            return list((await session.execute(query)).scalars().all())

    async def request_of(self, analysis_id: str) -> AnalysisRequest:
        """The request a run submitted."""
        async with self.database.unit_of_work() as session:
            row = await AnalysisRepository(session).get(analysis_id)
        assert row is not None
        return AnalysisRequest.model_validate(row.request)

    async def finish(
        self, analysis_id: str, opportunities: list[Opportunity], *, status: AnalysisStatus = AnalysisStatus.COMPLETED
    ) -> list[int] | None:
        """Complete an analysis with prepared results, then let the scheduler decide its alerts."""
        results = OpportunityResults(opportunities=opportunities)
        async with self.database.unit_of_work() as session:
            await AnalysisRepository(session).finish(
                analysis_id,
                status,
                results=results.model_dump(mode="json") if status == AnalysisStatus.COMPLETED else None,
            )
        return await self.scheduler.evaluate(analysis_id)

    async def charge(self, analysis_id: str, amount: Decimal, budget: Decimal) -> None:
        """Record a settled paid call on an analysis, as the runner does."""
        ledger = SqlLedger(self.database)
        assert await ledger.reserve(analysis_id, f"test:{amount}", "llm", amount, budget)
        await ledger.settle(analysis_id, f"test:{amount}", amount, tokens_in=1, tokens_out=1, calls=0)

    async def outbox(self) -> list[OutboxMessageRow]:
        """Every outbox message."""
        async with self.database.unit_of_work() as session:
            return list(await OutboxRepository(session).list_all())

    async def next_run_at(self, watch_id: int) -> datetime:
        """When the watch runs next."""
        async with self.database.unit_of_work() as session:
            row = await WatchRepository(session).get(watch_id)
        assert row is not None
        return row.next_run_at


def opportunity(title: str, score: int, mentions: int = 3, phrases: tuple[str, ...] = ()) -> Opportunity:
    """A prepared opportunity with one quote."""
    return Opportunity(
        title=title,
        problem=f"People struggle with {title.lower()}.",
        score=score,
        mentions=mentions,
        distinct_authors=mentions,
        key_phrases=list(phrases),
        subreddits=["SaaS"],
        quotes=[
            Quote(text=f"I hate {title.lower()}", permalink="https://reddit.com/r/SaaS/1", author="a", subreddit="SaaS")
        ],
    )


OWNER = ThreadRef("console", "ws1", "C1", "T1", "U1")


@pytest.fixture
def watch_settings(settings: Settings) -> Settings:
    """Settings with known watch defaults."""
    return settings.model_copy(
        update={
            "watch_run_max_cost_usd": Decimal("1"),
            "watch_default_monthly_budget_usd": Decimal("5"),
            "watch_alert_cooldown_hours": 72,
            "watch_growth_factor": 2.0,
            "watch_growth_min_mentions": 5,
            "watch_max_catchup_days": 7,
            # A first run reads one cadence here, so growth figures between runs stay simple to
            # state; the baseline window of a new watch has tests of its own.
            "watch_baseline_days": 1 / 24,
        }
    )


@pytest.fixture
async def watches(watch_settings: Settings) -> AsyncIterator[Watches]:
    """The watch machinery on a real database and Redis queue, with a clock set 20 days ago (mid-month safe).

    The clock is the process clock for the whole test, so the rows the repositories stamp (runs,
    ledger entries, outbox messages) and the queries that compare them read the same time.
    """
    start = utcnow() - timedelta(days=20)
    # Noon of a day early in a month, so a test's few days never cross a month boundary.
    start = start.replace(day=min(start.day, 10), hour=12, minute=0, second=0, microsecond=0, tzinfo=UTC)
    clock = Clock(start)
    with use_clock(clock):
        runtime = await Runtime.open(watch_settings)
        try:
            yield _watches(runtime, watch_settings, clock)
        finally:
            await runtime.close()


def _watches(runtime: Runtime, watch_settings: Settings, clock: Clock) -> Watches:
    messenger = ConsoleMessenger(echo=None)
    dispatcher = OutboxDispatcher(runtime.database, {"console": messenger}, posters={"console": messenger}, clock=clock)
    spend = SpendGovernor(runtime.database, watch_settings, clock=clock)
    scheduler = WatchScheduler(
        runtime.database, watch_settings, runtime.service, spend=spend, dispatcher=dispatcher, clock=clock
    )
    service = WatchService(runtime.database, watch_settings, clock=clock)
    return Watches(runtime, runtime.database, watch_settings, clock, messenger, dispatcher, scheduler, service, spend)
