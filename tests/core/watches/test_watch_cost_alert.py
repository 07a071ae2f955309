"""A watch's cost alert: set in chat, stored on the watch, and sent once a month when its spend reaches it."""

from __future__ import annotations

from decimal import Decimal

from oppscout.core.db.repositories.watches import WatchRepository
from oppscout.core.watches import WatchSpec
from oppscout.runtime import build_chat
from tests.core.watches.conftest import OWNER, Watches, opportunity


async def test_a_watch_cost_alert_is_sent_once_when_the_months_spend_reaches_it(watches: Watches) -> None:
    watch = await watches.service.create(
        OWNER, WatchSpec(subreddits=["SaaS"], threshold=90, cadence_hours=1, cost_threshold=Decimal("0.5"))
    )
    assert "I'll also tell you once it has cost $0.50 in a month." in watch.confirmation()
    await watches.scheduler.tick()
    [first] = await watches.runs(watch.id)
    await watches.charge(first.analysis_id or "", Decimal("0.3"), Decimal("1"))
    await watches.finish(first.analysis_id or "", [opportunity("Churn", 40)])
    assert watches.dms() == []  # $0.30 is under the alert

    watches.clock.advance(hours=1)
    await watches.scheduler.tick()
    second = (await watches.runs(watch.id))[1]
    await watches.charge(second.analysis_id or "", Decimal("0.3"), Decimal("1"))
    await watches.finish(second.analysis_id or "", [opportunity("Churn", 40)])
    [dm] = watches.dms()
    assert dm.startswith(f"💸 Watch #{watch.id} (r/SaaS) has cost $0.60 this month, past your cost alert of $0.50")

    watches.clock.advance(hours=1)
    await watches.scheduler.tick()
    third = (await watches.runs(watch.id))[2]
    await watches.charge(third.analysis_id or "", Decimal("0.2"), Decimal("1"))
    await watches.finish(third.analysis_id or "", [])
    assert len(watches.dms()) == 1  # once a month, not once a run


async def test_cost_alerts_for_watches_are_read_from_chat(watches: Watches) -> None:
    chat = build_chat(watches.runtime, voice=False)
    asked = await chat.handle(OWNER, "watch r/SaaS daily, budget $4, tell me when it has cost $1")
    [confirmation] = asked.messages
    assert "with a budget of $4.00 a month" in confirmation  # "$1" is the alert, not the budget
    assert "once its spend this month reaches $1.00" in confirmation
    done = await chat.handle(OWNER, "yes")
    assert "I'll also tell you once it has cost $1.00 in a month." in done.messages[0]

    other = OWNER.__class__("console", "ws1", "C1", "T2", "U1")
    await chat.handle(other, "watch r/freelance weekly and warn me at 80%")
    await chat.handle(other, "yes")
    async with watches.database.unit_of_work() as session:
        repo = WatchRepository(session)
        one, two = await repo.get(1), await repo.get(2)
    assert one is not None and two is not None
    assert one.cost_threshold_usd == Decimal("1")
    # 80% of the default monthly budget ($5 in these tests).
    assert two.cost_threshold_usd == Decimal("4")
    listing = await chat.handle(OWNER, "list watches")
    assert "cost alert at $1.00 a month" in listing.messages[0]
