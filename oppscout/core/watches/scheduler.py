"""Running watches: start due runs (once, whatever the number of workers), decide and queue alerts.

The cron job of the worker calls ``tick``. A due watch is claimed with a conditional update of its
``next_run_at``, in the same unit of work that records its run, so two workers never run it
twice. After downtime a watch runs once, over the time it missed (capped), and its next run is
the next slot of its cadence: no pile of catch-up runs, no storm of alerts. Each run is an
ordinary analysis, limited to what is left of the watch's monthly budget and the spend caps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.contract import AnalysisRequest, AnalysisStatus, OpportunityResults, utcnow
from oppscout.core.conversation.commands import StartAnalysis
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.repositories.outbox import OutboxRepository
from oppscout.core.db.repositories.watches import WatchRepository
from oppscout.core.db.tables import WatchRow
from oppscout.core.outbox import EMAIL, THREAD_RECIPIENT, Draft, OutboxDispatcher, enqueue
from oppscout.core.service import AnalysisService
from oppscout.core.settings import Settings
from oppscout.core.spend import SpendGovernor, month_bounds
from oppscout.core.watches.alerts import Theme, alert_text, baseline_text, decide, themes_of
from oppscout.core.watches.budget import month_committed
from oppscout.core.watches.models import WatchView
from oppscout.core.watches.service import next_slot
from oppscout.core.wording import usd

log = logging.getLogger(__name__)

ZERO = Decimal("0")
FINAL = [s.value for s in AnalysisStatus if s.is_final]
# A run whose analysis is not linked this long after it was recorded lost its submitter.
ORPHAN_GRACE = timedelta(minutes=1)
DUE_BATCH = 50


@dataclass
class TickResult:
    """What one tick did."""

    started: list[int] = field(default_factory=list)
    evaluated: list[str] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)


class WatchScheduler:
    """Starts due watch runs and turns finished runs into alerts in the outbox."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        analyses: AnalysisService,
        *,
        spend: SpendGovernor | None = None,
        dispatcher: OutboxDispatcher | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.settings = settings
        self.analyses = analyses
        self.spend = spend or SpendGovernor(database, settings, clock=clock)
        self.dispatcher = dispatcher
        self.clock = clock

    async def tick(self) -> TickResult:
        """One scheduler pass: start due runs, recover lost ones, evaluate finished ones, deliver the outbox."""
        result = TickResult(started=await self.run_due())
        await self.resubmit_orphans()
        for analysis_id in await self._finished_unevaluated():
            ids = await self.evaluate(analysis_id)
            if ids is not None:
                result.evaluated.append(analysis_id)
                result.messages += ids
        if self.dispatcher is not None:
            await self.dispatcher.dispatch_due()
        return result

    async def run_due(self) -> list[int]:
        """Start every due watch this process can claim; returns the ids of the runs started."""
        started: list[int] = []
        seen: set[int] = set()
        while True:
            # Batches keep each read short; a watch seen once (started, skipped or broken) is not retried here.
            async with self.database.unit_of_work() as session:
                due = await WatchRepository(session).due(self.clock(), DUE_BATCH, exclude=seen)
            if not due:
                return started
            for watch in due:
                seen.add(watch.id)
                try:
                    run_id = await self._start(watch)
                except Exception:  # one broken watch must not stop the others
                    log.exception("watch %s could not start", watch.id)
                    continue
                if run_id is not None:
                    started.append(run_id)

    async def _start(self, watch: WatchRow) -> int | None:
        now = self.clock()
        cadence = timedelta(hours=watch.cadence_hours)
        window_end = now
        if watch.last_window_end is None:
            # The first run sets a baseline: one day of a daily watch shows nothing on most communities.
            window_start = now - max(cadence, timedelta(days=self.settings.watch_baseline_days))
        else:
            earliest = now - timedelta(days=self.settings.watch_max_catchup_days)
            window_start = max(watch.last_window_end, earliest)
        room = await self.spend.room(watch.workspace_id, watch.owner_id)
        month_start = month_bounds(now)[0]
        notice: int | None = None
        async with self.database.unit_of_work() as session:
            watches = WatchRepository(session)
            if not await watches.claim(
                watch.id, watch.next_run_at, next_slot(watch.next_run_at, watch.cadence_hours, now)
            ):
                return None  # another worker took this run
            if window_start >= window_end:
                return None
            left = watch.monthly_budget_usd - await month_committed(session, watch.id, month_start)
            budget = min(self.settings.watch_run_max_cost_usd, left)
            if room is not None:
                budget = min(budget, room)
            if budget <= 0 and self.settings.watch_run_max_cost_usd > 0:
                month = f"{now:%Y-%m}"
                if await watches.claim_budget_notice(watch.id, month):
                    notice = await self._budget_notice(session, watch, left <= 0, now)
                run_id = None
            else:
                run = await watches.add_run(watch.id, window_start, window_end, max(budget, ZERO), now)
                await watches.set_window_end(watch.id, window_end)
                run_id = run.id
        if notice is not None and self.dispatcher is not None:
            await self.dispatcher.dispatch([notice])
        if run_id is not None:
            await self._submit(watch, run_id, window_start, window_end, max(budget, ZERO))
        return run_id

    async def _budget_notice(
        self, session: AsyncSession, watch: WatchRow, own_budget: bool, now: datetime
    ) -> int | None:
        view = WatchView.of(watch)
        reason = (
            f"its {usd(watch.monthly_budget_usd)} monthly budget is used up"
            if own_budget
            else "the monthly spend cap is reached"
        )
        text = f"⏸ Watch #{watch.id} ({view.title}) is skipping runs until next month: {reason}."
        return await enqueue(
            session,
            _owner_dm(watch, f"watch-budget:{watch.id}:{now:%Y-%m}", text),
            now,
        )

    async def _submit(self, watch: WatchRow, run_id: int, start: datetime, end: datetime, budget: Decimal) -> None:
        request = AnalysisRequest.model_validate(
            {
                "subreddits": list(watch.subreddits),
                "time_range": {"start": start, "end": end},
                "keywords": list(watch.keywords) or None,
                "max_cost": budget,
                "notification_preferences": {"push": watch.push, "email": watch.email},
            },
            context={"now": end},
        )
        # The key makes a resubmitted run find the analysis submitted before a crash instead of adding one.
        submission = await self.analyses.start(
            StartAnalysis(
                request, workspace_id=watch.workspace_id, idempotency_key=f"watch-run:{run_id}", caps_checked=True
            )
        )
        async with self.database.unit_of_work() as session:
            await WatchRepository(session).set_run_analysis(run_id, submission.analysis_id)

    async def resubmit_orphans(self) -> int:
        """Submit runs recorded without an analysis (their process stopped in between)."""
        async with self.database.unit_of_work() as session:
            watches = WatchRepository(session)
            orphans = [
                (run, await watches.get(run.watch_id))
                for run in await watches.runs_without_analysis(self.clock() - ORPHAN_GRACE)
            ]
        count = 0
        for run, watch in orphans:
            if watch is not None:
                await self._submit(watch, run.id, run.window_start, run.window_end, run.max_cost_usd)
                count += 1
        return count

    async def _finished_unevaluated(self) -> list[str]:
        async with self.database.unit_of_work() as session:
            runs = await WatchRepository(session).finished_unevaluated_runs(FINAL)
        return [r.analysis_id for r in runs if r.analysis_id]

    async def evaluate(self, analysis_id: str) -> list[int] | None:
        """Decide the alerts of the watch run behind an analysis, once, and queue them; None if not a watch run.

        Returns the ids of the outbox messages queued (and tries to deliver them at once).
        """
        now = self.clock()
        ids: list[int] = []
        async with self.database.unit_of_work() as session:
            watches = WatchRepository(session)
            run = await watches.run_for_analysis(analysis_id)
            if run is None:
                return None
            watch = await watches.get(run.watch_id)
            analysis = await AnalysisRepository(session).get(analysis_id)
            if run.evaluated_at is not None or watch is None or analysis is None:
                return []
            status = AnalysisStatus(analysis.status)
            if not status.is_final:
                return []
            results = None
            if status == AnalysisStatus.COMPLETED and analysis.results:
                results = OpportunityResults.model_validate(analysis.results)
            themes = themes_of(results)
            previous = await watches.previous_run(watch.id, run.window_start, AnalysisStatus.COMPLETED.value)
            cooldown = timedelta(hours=self.settings.watch_alert_cooldown_hours)
            cooling = set()
            for theme in themes:
                last = await watches.last_alert_at(watch.id, theme.key)
                if last is not None and last > now - cooldown:
                    cooling.add(theme.key)
            alerts = decide(
                results,
                threshold=watch.threshold,
                window_days=_days(run.window_end - run.window_start),
                previous=[Theme.from_json(t) for t in previous.themes or []] if previous else None,
                previous_days=_days(previous.window_end - previous.window_start) if previous else None,
                growth_factor=self.settings.watch_growth_factor,
                growth_min_mentions=self.settings.watch_growth_min_mentions,
                cooling_down=cooling,
            )
            stored = [t.as_json() for t in themes] if results is not None else None
            first = await watches.is_first_run(watch.id, run.id)
            if not await watches.claim_evaluation(run.id, now, stored):
                return []  # another worker decided this run's alerts
            if first:
                view = WatchView.of(watch)
                text = baseline_text(
                    view.title,
                    watch.id,
                    results,
                    threshold=watch.threshold,
                    days=_days(run.window_end - run.window_start),
                )
                message = await enqueue(session, _thread_post(watch, f"watch-baseline:{run.id}", text), now)
                ids += [message] if message is not None else []
            if alerts:
                for alert in alerts:
                    await watches.add_alert(
                        watch.id, run.id, alert.theme.key, "+".join(alert.kinds), alert.opportunity.score, now
                    )
                text = alert_text(WatchView.of(watch).title, alerts, threshold=watch.threshold, watch_id=watch.id)
                ids += await self._queue_alert(session, watch, run.id, text, now)
            ids += await self._cost_alert(session, watch, now)
        if ids and self.dispatcher is not None:
            await self.dispatcher.dispatch(ids)
        return ids

    async def _cost_alert(self, session: AsyncSession, watch: WatchRow, now: datetime) -> list[int]:
        """Tell the owner, once a month, that the watch's settled spend this month reached their cost alert."""
        if watch.cost_threshold_usd is None:
            return []
        spent = await month_committed(session, watch.id, month_bounds(now)[0], spent_only=True)
        month = f"{now:%Y-%m}"
        if spent < watch.cost_threshold_usd or not await WatchRepository(session).claim_cost_notice(watch.id, month):
            return []
        text = (
            f"💸 Watch #{watch.id} ({WatchView.of(watch).title}) has cost {usd(spent)} this month, past your cost "
            f"alert of {usd(watch.cost_threshold_usd)} (budget {usd(watch.monthly_budget_usd)} a month). "
            f"(Say “pause watch {watch.id}” to stop its runs.)"
        )
        return await self._queue_alert(session, watch, f"watch-cost:{watch.id}:{month}", text, now)

    async def _queue_alert(
        self, session: AsyncSession, watch: WatchRow, key: int | str, text: str, now: datetime
    ) -> list[int]:
        """Queue ``text`` to the owner by the watch's channels (``key``: a run id, or a key of its own)."""
        key = f"watch-alert:{key}" if isinstance(key, int) else key
        drafts: list[Draft] = []
        if watch.push:
            drafts.append(_owner_dm(watch, f"{key}:dm", text))
        if watch.email:
            address = await OutboxRepository(session).email_of(watch.platform, watch.workspace_id, watch.owner_id)
            if address:
                drafts.append(Draft(f"{key}:email", EMAIL, watch.workspace_id, address, text))
        ids = [await enqueue(session, d, now) for d in drafts]
        return [i for i in ids if i is not None]


def _owner_dm(watch: WatchRow, key: str, text: str) -> Draft:
    """A DM to the watch's owner; if it cannot be delivered, that is reported in the watch's thread."""
    return Draft(
        key,
        watch.platform,
        watch.workspace_id,
        watch.owner_id,
        text,
        report_channel_id=watch.channel_id,
        report_thread_id=watch.thread_id,
    )


def _thread_post(watch: WatchRow, key: str, text: str) -> Draft:
    """A message posted in the watch's thread (the DM itself when the watch was made in a DM)."""
    return Draft(
        key,
        watch.platform,
        watch.workspace_id,
        THREAD_RECIPIENT,
        text,
        report_channel_id=watch.channel_id,
        report_thread_id=watch.thread_id,
        report_user_id=watch.owner_id,
    )


def _days(span: timedelta) -> float:
    return max(span.total_seconds() / 86400, 1 / 24)
