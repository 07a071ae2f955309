"""Monthly caps per workspace and per person (settings, overridden in the database) and the spend report."""

from __future__ import annotations

from decimal import Decimal

import pytest

from oppscout.core.contract import AnalysisStatus
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.spend import SpendCapExceededError, SpendGovernor
from oppscout.core.watches import WatchScheduler, WatchService, WatchSpec
from tests.core.watches.conftest import OWNER, Watches
from tests.helpers import make_request

ANA = ThreadRef("slack", "ws1", "C1", "1.1", "U_ANA")
BOB = ThreadRef("slack", "ws1", "C1", "2.1", "U_BOB")


async def _analysis(watches: Watches, thread: ThreadRef, budget: str, spent: str | None, *, final: bool) -> str:
    submission = await watches.runtime.service.submit(make_request(max_cost=budget), thread=thread)
    if spent is not None:
        await watches.charge(submission.analysis_id, Decimal(spent), Decimal(budget))
    if final:
        async with watches.database.unit_of_work() as session:
            await AnalysisRepository(session).finish(submission.analysis_id, AnalysisStatus.COMPLETED)
    return submission.analysis_id


def _governor(watches: Watches, **caps: Decimal | None) -> SpendGovernor:
    # Analyses are stamped with the real time, so the report's month is the real one here.
    return SpendGovernor(watches.database, watches.settings.model_copy(update=caps))


async def test_a_request_past_the_workspace_cap_is_refused_saying_what_is_left(watches: Watches) -> None:
    spend = _governor(watches, workspace_monthly_cap_usd=Decimal("5"))
    await _analysis(watches, ANA, "4", "3.5", final=True)  # done: counts what it spent
    await _analysis(watches, BOB, "1", None, final=False)  # running: holds its whole budget
    with pytest.raises(SpendCapExceededError) as refused:
        await spend.check("ws1", "U_ANA", Decimal("1"))
    assert "only $0.50 left of its $5.00 cap" in refused.value.message
    assert "Ask for a budget of $0.50 or less" in refused.value.message
    assert refused.value.left == Decimal("0.5")
    await spend.check("ws1", "U_ANA", Decimal("0.5"))  # fits exactly
    await spend.check("ws2", "U_ANA", Decimal("5"))  # other workspaces have their own month


async def test_a_workspace_can_set_its_own_per_person_cap(watches: Watches) -> None:
    spend = _governor(watches, user_monthly_cap_usd=Decimal("10"))
    await _analysis(watches, ANA, "2", "1.25", final=True)
    await spend.check("ws1", "U_ANA", Decimal("5"))  # the setting allows it
    caps = await spend.set_caps("ws1", workspace_monthly=None, user_monthly=Decimal("2"))
    assert caps.per_user == Decimal("2")
    with pytest.raises(SpendCapExceededError, match=r"you have only \$0.75 left of your \$2.00 personal cap"):
        await spend.check("ws1", "U_ANA", Decimal("1"))
    await spend.check("ws1", "U_BOB", Decimal("2"))  # Bob has spent nothing


async def test_the_spend_report_shows_this_month_by_person_and_by_analysis(watches: Watches) -> None:
    spend = _governor(watches, workspace_monthly_cap_usd=Decimal("20"))
    big = await _analysis(watches, ANA, "5", "4.2", final=True)
    await _analysis(watches, BOB, "2", "0.3", final=True)
    await _analysis(watches, ANA, "1", "0.1", final=True)
    # A watch run is counted against the watch's owner although it has no requester of its own.
    watch_service = WatchService(watches.database, watches.settings)
    watch = await watch_service.create(BOB, WatchSpec(subreddits=["SaaS"]))
    scheduler = WatchScheduler(watches.database, watches.settings, watches.runtime.service)
    await scheduler.run_due()
    run = (await watches.runs(watch.id))[0]
    await watches.charge(run.analysis_id or "", Decimal("0.5"), Decimal("1"))
    await watches.finish(run.analysis_id or "", [])

    report = await spend.report("ws1", "U_ANA")
    assert report.total_spent == Decimal("5.1")
    assert [(line.label, line.spent) for line in report.by_user] == [
        ("U_ANA", Decimal("4.3")),
        ("U_BOB", Decimal("0.8")),
    ]
    assert report.by_analysis[0].label.startswith(f"analysis {big[:8]}")
    assert any(line.label.startswith(f"watch #{watch.id}") for line in report.by_analysis)
    text = report.render()
    assert "$5.10 spent" in text
    assert "Workspace cap $20.00: $14.90 left this month." in text
    assert "• U_ANA: $4.30" in text
    assert f"• analysis {big[:8]}" in text
    assert OWNER.user_id not in text
