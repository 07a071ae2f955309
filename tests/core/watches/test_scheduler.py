"""The scheduler with an injected clock: due, not due, incremental windows, catch-up without storms, one run per watch."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

from oppscout.core.db.repositories.watches import WatchRepository
from oppscout.core.watches import WatchScheduler, WatchSpec
from oppscout.core.watches.scheduler import DUE_BATCH
from tests.core.watches.conftest import OWNER, Watches, opportunity


async def test_a_new_watch_runs_at_once_then_only_when_its_cadence_comes_round(watches: Watches) -> None:
    watch = await watches.service.create(OWNER, WatchSpec(subreddits=["r/SaaS"], keywords=["churn"], cadence_hours=24))
    first = watches.clock()

    assert len((await watches.scheduler.tick()).started) == 1
    assert (await watches.scheduler.tick()).started == []  # not due again at the same moment
    watches.clock.advance(hours=23, minutes=59)
    assert (await watches.scheduler.tick()).started == []
    watches.clock.advance(minutes=1)
    assert len((await watches.scheduler.tick()).started) == 1

    runs = await watches.runs(watch.id)
    assert [r.window_end for r in runs] == [first, first + timedelta(days=1)]
    # Incremental: the second run looks only at what is new since the first.
    second = await watches.request_of(runs[1].analysis_id or "")
    assert second.time_range.start == first
    assert second.keywords == ["churn"]
    assert second.subreddits == ["SaaS"]


async def test_downtime_gives_one_catch_up_run_and_one_message_not_a_storm(watches: Watches) -> None:
    watch = await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], threshold=70, cadence_hours=1))
    await watches.scheduler.tick()
    before_downtime = watches.clock()

    watches.clock.advance(days=3)  # the workers were down for 72 hourly slots
    result = await watches.scheduler.tick()
    assert len(result.started) == 1
    assert (await watches.scheduler.tick()).started == []

    runs = await watches.runs(watch.id)
    catch_up = await watches.request_of(runs[1].analysis_id or "")
    assert catch_up.time_range.start == before_downtime  # it covers the whole gap, once
    assert catch_up.time_range.end == watches.clock()
    next_run = await watches.next_run_at(watch.id)
    assert watches.clock() < next_run <= watches.clock() + timedelta(hours=1)

    await watches.finish(runs[0].analysis_id or "", [])
    found = [opportunity(f"Problem {i}", 80 + i) for i in range(8)]
    await watches.finish(runs[1].analysis_id or "", found)
    assert len(watches.dms()) == 1
    assert "8 opportunities" in watches.dms()[0]
    assert "…and 3 more" in watches.dms()[0]


async def test_catch_up_covers_at_most_the_configured_days(watches: Watches) -> None:
    watch = await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], cadence_hours=24))
    await watches.scheduler.tick()
    watches.clock.advance(days=12)
    await watches.scheduler.tick()
    runs = await watches.runs(watch.id)
    request = await watches.request_of(runs[1].analysis_id or "")
    assert request.time_range.end - request.time_range.start == timedelta(days=7)


async def test_a_due_watch_runs_once_even_with_two_schedulers(watches: Watches) -> None:
    watch = await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], cadence_hours=1))
    other = WatchScheduler(
        watches.database, watches.settings, watches.runtime.service, spend=watches.spend, clock=watches.clock
    )
    started = await asyncio.gather(watches.scheduler.run_due(), other.run_due())
    assert sum(len(s) for s in started) == 1
    assert len(await watches.runs(watch.id)) == 1


async def test_paused_watches_do_not_run_and_resume_runs_now(watches: Watches) -> None:
    watch = await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], cadence_hours=24))
    await watches.scheduler.tick()
    assert "Paused watch" in await watches.service.pause(OWNER, watch.id)
    watches.clock.advance(days=2)
    assert (await watches.scheduler.tick()).started == []
    assert "(paused)" in await watches.service.describe_list(OWNER)

    await watches.service.resume(OWNER, watch.id)
    assert len((await watches.scheduler.tick()).started) == 1


async def test_a_watchs_monthly_budget_is_never_exceeded(watches: Watches) -> None:
    watch = await watches.service.create(
        OWNER, WatchSpec(subreddits=["SaaS"], cadence_hours=24, monthly_budget=Decimal("2.5"))
    )
    budgets: list[Decimal] = []
    for _ in range(5):
        for run_id in (await watches.scheduler.tick()).started:
            run = next(r for r in await watches.runs(watch.id) if r.id == run_id)
            budgets.append(run.max_cost_usd)
            request = await watches.request_of(run.analysis_id or "")
            assert request.max_cost == run.max_cost_usd  # the analysis itself is capped there
            # Each run spends everything it was allowed: the worst case for the budget.
            await watches.charge(run.analysis_id or "", run.max_cost_usd, request.max_cost)
            await watches.finish(run.analysis_id or "", [])
        watches.clock.advance(days=1)

    assert budgets == [Decimal("1"), Decimal("1"), Decimal("0.5")]
    assert sum(budgets) <= Decimal("2.5")
    skipped = [t for t in watches.dms() if "skipping runs until next month" in t]
    assert len(skipped) == 1  # told once, not every day
    assert "$2.50 monthly budget is used up" in skipped[0]


async def test_a_running_run_holds_its_whole_budget(watches: Watches) -> None:
    watch = await watches.service.create(
        OWNER, WatchSpec(subreddits=["SaaS"], cadence_hours=1, monthly_budget=Decimal("1.5"))
    )
    await watches.scheduler.tick()  # run 1 starts with $1 and never finishes
    watches.clock.advance(hours=1)
    await watches.scheduler.tick()
    runs = await watches.runs(watch.id)
    assert [r.max_cost_usd for r in runs] == [Decimal("1"), Decimal("0.5")]


async def test_watch_runs_also_stay_within_the_workspace_cap(watches: Watches) -> None:
    await watches.spend.set_caps("ws1", workspace_monthly=Decimal("0.4"), user_monthly=None)
    watch = await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], cadence_hours=24))
    await watches.scheduler.tick()
    (run,) = await watches.runs(watch.id)
    assert run.max_cost_usd == Decimal("0.4")  # not the $1 a run may usually spend
    watches.clock.advance(days=1)
    assert (await watches.scheduler.tick()).started == []  # the running run holds the rest of the cap
    assert any("the monthly spend cap is reached" in t for t in watches.dms())


async def test_a_run_recorded_before_a_crash_is_submitted_by_a_later_tick(watches: Watches) -> None:
    watch = await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], cadence_hours=24))
    async with watches.database.unit_of_work() as session:
        repo = WatchRepository(session)
        await repo.claim(watch.id, watch.next_run_at, watch.next_run_at + timedelta(days=1))
        start = watches.clock() - timedelta(days=1)
        await repo.add_run(watch.id, start, watches.clock(), Decimal("1"), watches.clock())
    assert (await watches.runs(watch.id))[0].analysis_id is None
    await watches.scheduler.tick()
    assert (await watches.runs(watch.id))[0].analysis_id is None  # maybe still being submitted
    watches.clock.advance(minutes=2)
    await watches.scheduler.tick()
    (run,) = await watches.runs(watch.id)
    assert run.analysis_id is not None
    request = await watches.request_of(run.analysis_id)
    assert request.time_range.start == start


async def test_every_due_watch_starts_in_one_tick_even_beyond_one_batch(watches: Watches) -> None:
    for _ in range(DUE_BATCH + 5):
        await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], cadence_hours=1))
    assert len((await watches.scheduler.tick()).started) == DUE_BATCH + 5
    assert (await watches.scheduler.tick()).started == []


async def test_a_new_daily_watch_starts_from_a_baseline_week_and_says_where_things_stand(watches: Watches) -> None:
    settings = watches.settings.model_copy(update={"watch_baseline_days": 7})
    scheduler = WatchScheduler(
        watches.database,
        settings,
        watches.runtime.service,
        spend=watches.spend,
        dispatcher=watches.dispatcher,
        clock=watches.clock,
    )
    watches.scheduler = scheduler
    watch = await watches.service.create(
        OWNER, WatchSpec(subreddits=["SaaS"], keywords=["churn"], threshold=70, cadence_hours=24)
    )
    await scheduler.tick()
    first = (await watches.runs(watch.id))[0]
    request = await watches.request_of(first.analysis_id or "")
    # The first run reads the baseline week, not the last 24 hours.
    assert request.time_range.end - request.time_range.start == timedelta(days=7)

    found = [opportunity("Churn after the trial", 64, mentions=9), opportunity("Failed card retries", 81)]
    await watches.finish(first.analysis_id or "", found)
    posts = watches.thread_posts()
    assert len(posts) == 1
    assert posts[0].startswith(f"👀 Watch #{watch.id} (r/SaaS · churn) is on. Over the last 7 days: 2 opportunities")
    assert (
        "• Failed card retries (score 81" in posts[0] and "• Churn after the trial (score 64, 9 mentions)" in posts[0]
    )
    assert "reaches 70 or grows sharply" in posts[0]
    # What crosses the threshold is alerted as usual; what does not stays in the baseline only.
    assert len(watches.dms()) == 1 and "Failed card retries" in watches.dms()[0]
    assert "Churn after the trial" not in watches.dms()[0]

    # Later runs are incremental again, and post no second baseline.
    watches.clock.advance(days=1)
    await scheduler.tick()
    second = (await watches.runs(watch.id))[1]
    later = await watches.request_of(second.analysis_id or "")
    assert later.time_range.start == request.time_range.end
    await watches.finish(second.analysis_id or "", [])
    assert len(watches.thread_posts()) == 1


async def test_a_first_run_that_finds_nothing_says_so_in_the_thread(watches: Watches) -> None:
    watch = await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], cadence_hours=24))
    await watches.scheduler.tick()
    run = (await watches.runs(watch.id))[0]
    await watches.finish(run.analysis_id or "", [])
    assert watches.dms() == []
    [post] = watches.thread_posts()
    assert f"Watch #{watch.id} (r/SaaS) is on. Over the last day nothing stood out yet." in post
