"""Threshold and growth alerts on prepared results, and the cooldown that keeps one opportunity from alerting twice."""

from __future__ import annotations

from oppscout.core.contract import AnalysisStatus, OpportunityResults
from oppscout.core.watches import WatchSpec
from oppscout.core.watches.alerts import GROWTH, THRESHOLD, Theme, decide
from tests.core.watches.conftest import OWNER, Watches, opportunity


async def _run(watches: Watches, watch_id: int) -> str:
    started = (await watches.scheduler.tick()).started
    assert len(started) == 1
    run = next(r for r in await watches.runs(watch_id) if r.id == started[0])
    assert run.analysis_id is not None
    return run.analysis_id


async def test_an_opportunity_at_or_above_the_threshold_is_dmed_to_the_owner(watches: Watches) -> None:
    watch = await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], keywords=["churn"], threshold=70))
    analysis_id = await _run(watches, watch.id)
    await watches.finish(
        analysis_id, [opportunity("Churn analytics for tiny SaaS", 70), opportunity("Logo design", 69)]
    )
    assert len(watches.messenger.sent) == 1
    _, user, text = watches.messenger.sent[0]
    assert user == "U1"
    assert "Churn analytics for tiny SaaS (score 70)" in text
    assert "score 70 ≥ your threshold 70" in text
    assert "Logo design" not in text
    assert "r/SaaS · churn" in text
    assert "https://reddit.com/r/SaaS/1" in text


async def test_nothing_above_the_threshold_sends_nothing(watches: Watches) -> None:
    watch = await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], threshold=90))
    await watches.finish(await _run(watches, watch.id), [opportunity("Invoicing", 89)])
    assert watches.dms() == []


async def test_the_same_opportunity_does_not_alert_twice_within_the_cooldown(watches: Watches) -> None:
    watch = await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], threshold=70, cadence_hours=24))
    await watches.finish(await _run(watches, watch.id), [opportunity("Churn analytics", 85)])
    assert len(watches.dms()) == 1

    watches.clock.advance(days=1)
    await watches.finish(await _run(watches, watch.id), [opportunity("Churn Analytics!", 88)])
    assert len(watches.dms()) == 1  # same theme, 24 h later: held back

    watches.clock.advance(days=1)
    second = await _run(watches, watch.id)
    await watches.finish(second, [opportunity("Churn analytics", 85), opportunity("Failed payments", 75)])
    assert len(watches.dms()) == 2
    assert "Failed payments" in watches.dms()[1]
    assert "Churn analytics" not in watches.dms()[1]

    watches.clock.advance(days=2)  # 96 h after the first alert: past the 72 h cooldown
    await watches.finish(await _run(watches, watch.id), [opportunity("Churn analytics", 85)])
    assert len(watches.dms()) == 3
    assert "Churn analytics" in watches.dms()[2]


async def test_a_theme_that_grows_sharply_alerts_even_below_the_threshold(watches: Watches) -> None:
    watch = await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], threshold=90, cadence_hours=24))
    await watches.finish(await _run(watches, watch.id), [opportunity("Invoice reminders", 40, mentions=3)])
    watches.clock.advance(days=1)
    await watches.finish(
        await _run(watches, watch.id),
        [opportunity("Invoice reminders", 45, mentions=12), opportunity("Tax forms", 50, mentions=4)],
    )
    assert len(watches.dms()) == 1
    text = watches.dms()[0]
    assert "Invoice reminders" in text
    assert "mentions up 4.0× per day (12 now, 3 before)" in text
    assert "Tax forms" not in text  # new, but too few mentions to be a trend


async def test_a_failed_run_sends_nothing_and_is_not_the_baseline_for_growth(watches: Watches) -> None:
    watch = await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], threshold=90, cadence_hours=24))
    await watches.finish(await _run(watches, watch.id), [opportunity("Invoice reminders", 40, mentions=6)])
    watches.clock.advance(days=1)
    await watches.finish(await _run(watches, watch.id), [], status=AnalysisStatus.FAILED)
    assert watches.dms() == []
    watches.clock.advance(days=1)
    # Compared with the last completed window (6 in a day), 8 a day is no sharp growth.
    await watches.finish(await _run(watches, watch.id), [opportunity("Invoice reminders", 40, mentions=8)])
    assert watches.dms() == []


async def test_deciding_a_runs_alerts_twice_sends_once(watches: Watches) -> None:
    watch = await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], threshold=50))
    analysis_id = await _run(watches, watch.id)
    await watches.finish(analysis_id, [opportunity("Churn analytics", 85)])
    assert await watches.scheduler.evaluate(analysis_id) == []
    await watches.scheduler.tick()
    assert len(watches.dms()) == 1


def test_themes_renamed_slightly_are_matched_by_their_key_phrases() -> None:
    previous = [Theme("late invoices", "Late invoices", 40, 2, ("invoice", "late payment", "reminder"))]
    results = OpportunityResults(
        opportunities=[opportunity("Chasing late payments", 40, mentions=6, phrases=("late payment", "invoice"))]
    )
    alerts = decide(
        results, threshold=90, window_days=1, previous=previous, previous_days=1,
        growth_factor=2, growth_min_mentions=5,
    )  # fmt: skip
    assert [a.kinds for a in alerts] == [(GROWTH,)]
    assert alerts[0].previous_mentions == 2
    both = decide(
        results, threshold=40, window_days=1, previous=previous, previous_days=7,
        growth_factor=2, growth_min_mentions=5,
    )  # fmt: skip
    assert both[0].kinds == (THRESHOLD, GROWTH)
