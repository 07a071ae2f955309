"""The Reddit source inside the runner: waits show as progress, calls show in the cost breakdown."""

from __future__ import annotations

from decimal import Decimal

from oppscout.core.analysis.engine import LocalEngine
from oppscout.core.db.database import Database
from oppscout.core.events import AnalysisEvent, CostEvent, NoticeEvent, ProgressEvent
from oppscout.core.runner import AnalysisRunner, RunnerParts
from oppscout.core.settings import Settings
from oppscout.jobs.sources.reddit import RedditSource
from tests.fakes.reddit_server import FakeRedditServer, Fault
from tests.helpers import insert_analysis, make_request
from tests.jobs.sources.conftest import reddit_settings


class Recorder:
    """A notifier that keeps every event."""

    def __init__(self) -> None:
        self.events: list[AnalysisEvent] = []

    async def publish(self, event: AnalysisEvent) -> None:
        self.events.append(event)


async def test_a_reddit_analysis_shows_waits_and_charges_every_call(
    settings: Settings, database: Database, small_fake: FakeRedditServer
) -> None:
    priced = reddit_settings(settings, small_fake, reddit_price_per_1000_calls_usd=Decimal("2.5"))
    source = RedditSource(priced, database)
    recorder = Recorder()
    runner = AnalysisRunner(RunnerParts(priced, database, source, LocalEngine(), recorder))
    small_fake.fake.add_subreddit("secretclub", "private")
    analysis_id = await insert_analysis(database, make_request(["smallbusiness", "freelance", "secretclub"], days=7))
    small_fake.fake.faults.append(Fault("/new/", 429, times=1, after=1, headers={"retry-after": "1"}))

    assert await runner.collect_posts(analysis_id)
    assert await runner.process_comments(analysis_id)

    messages = [e.progress.message for e in recorder.events if isinstance(e, ProgressEvent)]
    assert "waiting for Reddit's rate limit (1 s)" in messages
    notices = [e.message for e in recorder.events if isinstance(e, NoticeEvent)]
    assert any("r/secretclub is private" in n for n in notices)
    cost = [e.cost for e in recorder.events if isinstance(e, CostEvent)][-1]
    calls = len(small_fake.api_requests())
    assert cost.reddit_calls == calls
    assert cost.reddit_cost == Decimal("2.5") * calls / 1000
    await source.close()
