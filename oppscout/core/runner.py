"""Runs the stages of one analysis against the ports; the queue adapter only triggers them.

Every stage is idempotent: a stage already completed is skipped, items are stored once per
analysis, paid calls are keyed in the ledger and the final summary is delivered once.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from oppscout.core.analysis.budget import AnalysisBudget, StageCheckpointCache
from oppscout.core.call_meter import PaidCallMeter
from oppscout.core.contract import AnalysisRequest, AnalysisStatus, OpportunityResults, Stage, utcnow
from oppscout.core.corpus import ItemKind
from oppscout.core.costs import CostGovernor, CostWarning, PriceTable
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.repositories.items import ItemRepository
from oppscout.core.db.repositories.ledger import SqlLedger, ledger_totals
from oppscout.core.db.repositories.stage_jobs import StageJobRepository
from oppscout.core.db.tables import AnalysisRow
from oppscout.core.errors import (
    AnalysisCancelledError,
    AppError,
    BudgetExceededError,
    SourceOutageError,
    SourceUnavailableError,
)
from oppscout.core.events import CancelledEvent, CompletedEvent, CostEvent, FailedEvent, NoticeEvent, StageEvent
from oppscout.core.log_context import set_workspace
from oppscout.core.ports import AnalysisEngine, Notifier, PostSource
from oppscout.core.progress import StageProgress
from oppscout.core.report import render_markdown
from oppscout.core.settings import Settings

log = logging.getLogger(__name__)

APOLOGY = "Sorry, this analysis failed because of an internal error. Nothing more will be charged; please try again."
# Comments are the costliest part of collection: at most this many comment fetches per analysis.
MAX_COMMENT_CALLS = 60


@dataclass
class RunnerParts:
    """What the runner needs from the outside, wired by the entry point."""

    settings: Settings
    database: Database
    source: PostSource
    engine: AnalysisEngine
    notifier: Notifier


class AnalysisRunner:
    """The three stages and the delivery of one analysis."""

    def __init__(self, parts: RunnerParts) -> None:
        self.parts = parts
        self.settings = parts.settings
        self.database = parts.database
        self.notifier = parts.notifier
        self.prices = PriceTable(parts.settings.model_prices, parts.settings.reddit_price_per_1000_calls_usd)

    def governor(self, row: AnalysisRow) -> CostGovernor:
        """The cost governor of an analysis."""
        request = AnalysisRequest.model_validate(row.request)
        return CostGovernor(
            row.id,
            request.max_cost,
            SqlLedger(self.database),
            levels=self.settings.cost_warning_levels,
            cost_threshold=request.notification_preferences.cost_threshold,
        )

    async def begin_stage(self, analysis_id: str, stage: Stage) -> AnalysisRow | None:
        """Start a stage; None when it must not run (final, cancelled, or already done)."""
        async with self.database.unit_of_work() as session:
            analyses = AnalysisRepository(session)
            row = await analyses.get(analysis_id)
            if row is None or AnalysisStatus(row.status).is_final:
                return None
            set_workspace(row.workspace_id)
            if row.cancel_requested:
                raise AnalysisCancelledError()
            await analyses.mark_processing(analysis_id)
            job = await StageJobRepository(session).start(analysis_id, stage)
            if job.status == AnalysisStatus.COMPLETED:
                return None
            attempt = job.attempts
        await self.notifier.publish(StageEvent(analysis_id=analysis_id, stage=stage))
        if attempt > 1:
            # The last progress line (and its ETA) belongs to a run that stopped: say what happens now.
            resuming = StageProgress(self.database, self.notifier, analysis_id, stage, interval=0)
            await resuming.report(0, 0, resume_message(stage, attempt), force=True)
        return row

    async def stage_done(self, analysis_id: str, stage: Stage) -> bool:
        """Whether a stage finished earlier (so a retry skips it)."""
        async with self.database.unit_of_work() as session:
            job = await StageJobRepository(session).get(analysis_id, stage)
            return job is not None and job.status == AnalysisStatus.COMPLETED

    def call_meter(self, row: AnalysisRow, stage: Stage) -> PaidCallMeter:
        """Reserves each Reddit call of a stage before the source makes it (a source that meters)."""
        return PaidCallMeter(self.governor(row), self.prices.reddit_cost(1000) / 1000, stage)

    async def _charge_reddit(self, row: AnalysisRow, stage: Stage, calls: int, meter: PaidCallMeter) -> None:
        """Announce the stage's Reddit cost; calls the source reported but did not meter (the demo data
        set's simulated calls) are charged here, keyed by the stage: they buy the stage's collection,
        so a retried stage finds that charge already made and pays nothing twice."""
        governor = meter.governor
        warnings = list(meter.warnings)
        unmetered = calls - meter.calls
        if unmetered > 0:
            cost = self.prices.reddit_cost(unmetered)
            reservation = await governor.reserve(f"reddit:{stage.value}", cost, "reddit")
            warnings += await governor.settle(reservation, cost, calls=unmetered)
        if calls <= 0 and not warnings:
            return
        await self._announce_cost(governor, [w.message for w in warnings], [w.level for w in warnings])

    async def _announce_cost(self, governor: CostGovernor, messages: list[str], levels: list[float]) -> None:
        breakdown = await governor.breakdown()
        if not messages:
            await self.notifier.publish(CostEvent(analysis_id=governor.analysis_id, cost=breakdown))
        for message, level in zip(messages, levels, strict=True):
            await self.notifier.publish(
                CostEvent(analysis_id=governor.analysis_id, cost=breakdown, warning=message, level=level)
            )

    async def comment_call_budget(self, row: AnalysisRow) -> int:
        """How many comment fetches this analysis may make: at most MAX_COMMENT_CALLS, and no more than
        what is left of its budget pays for when Reddit calls are priced (reading comments is optional,
        so it must never be what takes an analysis past its budget)."""
        per_call = self.prices.reddit_cost(1000) / 1000
        if per_call <= 0:
            return MAX_COMMENT_CALLS
        totals = await self.governor(row).totals()
        left = self.governor(row).budget - totals.spent - totals.reserved
        # Keep a quarter of what is left for the analysis stage (the LLM, when configured).
        return max(0, min(MAX_COMMENT_CALLS, int(left * 3 / 4 / per_call)))

    async def collect_posts(self, analysis_id: str) -> bool:
        """Stage reddit-collection. Returns whether the next stage should run."""
        stage = Stage.REDDIT_COLLECTION
        row = await self.begin_stage(analysis_id, stage)
        if row is None:
            return await self.stage_done(analysis_id, stage)
        request = AnalysisRequest.model_validate(row.request)
        progress = StageProgress(
            self.database, self.notifier, analysis_id, stage, interval=self.settings.progress_interval_seconds
        )

        async def on_progress(done: int, expected: int, message: str | None = None) -> None:
            progress.posts = done
            # A message is news (e.g. a rate-limit wait): show it now rather than at the next tick.
            await progress.report(done, expected, message or f"collecting posts: {done} so far", force=bool(message))

        meter = self.call_meter(row, stage)
        batch = await self.parts.source.fetch_posts(request, on_progress, meter)
        async with self.database.unit_of_work() as session:
            await ItemRepository(session).add_many(analysis_id, batch.posts)
            await StageJobRepository(session).update_progress(
                analysis_id, stage, progress=100, checkpoint={"truncated": batch.truncated, "notes": batch.notes}
            )
        await self._charge_reddit(row, stage, batch.api_calls, meter)
        for note in batch.notes:
            await self.notifier.publish(NoticeEvent(analysis_id=analysis_id, message=note))
        progress.posts = len(batch.posts)
        await progress.report(1, 1, f"collected {len(batch.posts)} posts", force=True)
        await self._finish_stage(analysis_id, stage)
        return True

    async def process_comments(self, analysis_id: str) -> bool:
        """Stage comment-processing. Returns whether the next stage should run."""
        stage = Stage.COMMENT_PROCESSING
        row = await self.begin_stage(analysis_id, stage)
        if row is None:
            return await self.stage_done(analysis_id, stage)
        async with self.database.unit_of_work() as session:
            posts = await ItemRepository(session).list(analysis_id, ItemKind.POST)
        progress = StageProgress(
            self.database,
            self.notifier,
            analysis_id,
            stage,
            interval=self.settings.progress_interval_seconds,
            posts=len(posts),
        )

        async def on_progress(done: int, expected: int, message: str | None = None) -> None:
            progress.comments = done
            await progress.report(done, expected, message or f"reading comments: {done} so far", force=bool(message))

        meter = self.call_meter(row, stage)
        batch = await self.parts.source.fetch_comments(posts, await self.comment_call_budget(row), on_progress, meter)
        async with self.database.unit_of_work() as session:
            await ItemRepository(session).add_many(analysis_id, batch.comments)
        await self._charge_reddit(row, stage, batch.api_calls, meter)
        for note in batch.notes:
            await self.notifier.publish(NoticeEvent(analysis_id=analysis_id, message=note))
        progress.comments = len(batch.comments)
        await progress.report(1, 1, f"read {len(batch.comments)} comments", force=True)
        await self._finish_stage(analysis_id, stage)
        return True

    async def analyze(self, analysis_id: str) -> bool:
        """Stage ai-analysis, then delivery of the final summary (once)."""
        stage = Stage.AI_ANALYSIS
        row = await self.begin_stage(analysis_id, stage)
        if row is not None:
            request = AnalysisRequest.model_validate(row.request)
            async with self.database.unit_of_work() as session:
                items = await ItemRepository(session).list(analysis_id)
                collect_job = await StageJobRepository(session).get(analysis_id, Stage.REDDIT_COLLECTION)
            progress = StageProgress(self.database, self.notifier, analysis_id, stage, interval=0)
            posts = sum(1 for i in items if i.kind == ItemKind.POST)
            progress.posts, progress.comments = posts, len(items) - posts
            await progress.report(0, 1, f"analysing {len(items)} posts and comments", force=True)
            governor = self.governor(row)

            async def announce(warnings: list[CostWarning]) -> None:
                await self._announce_cost(governor, [w.message for w in warnings], [w.level for w in warnings])

            budget = AnalysisBudget(governor, StageCheckpointCache(self.database, analysis_id), announce)
            results = await self.parts.engine.analyze(items, request, budget)
            # E.g. "stopped calling the LLM to stay within budget": said in the thread, not only the report.
            for note in results.notes:
                await self.notifier.publish(NoticeEvent(analysis_id=analysis_id, message=note))
            await progress.report(1, 1, f"found {len(results.opportunities)} opportunities", force=True)
            checkpoint = collect_job.checkpoint if collect_job else {}
            results.coverage.truncated = bool(checkpoint.get("truncated"))
            async with self.database.unit_of_work() as session:
                jobs = StageJobRepository(session)
                job = await jobs.get(analysis_id, stage)
                # Keep the stored LLM answers beside the results: a redelivery must never pay again.
                kept = dict(job.checkpoint) if job and job.checkpoint else {}
                await jobs.update_progress(
                    analysis_id, stage, progress=100, checkpoint={**kept, "results": results.model_dump(mode="json")}
                )
            await self._finish_stage(analysis_id, stage)
        elif not await self.stage_done(analysis_id, stage):
            return False
        await self.deliver(analysis_id)
        return False

    async def _finish_stage(self, analysis_id: str, stage: Stage) -> None:
        async with self.database.unit_of_work() as session:
            # The stage's cost so far is the analysis's spend when the stage ends.
            spent = (await ledger_totals(session, analysis_id)).spent
            await StageJobRepository(session).finish(analysis_id, stage, AnalysisStatus.COMPLETED, cost=spent)

    async def _without_taken_down(self, analysis_id: str, results: OpportunityResults) -> OpportunityResults:
        """The results without quotes whose post or comment was deleted or removed since it was collected."""
        quoted = {q.permalink for o in results.opportunities for q in o.quotes}
        if not quoted:
            return results
        async with self.database.unit_of_work() as session:
            items = [i for i in await ItemRepository(session).list(analysis_id) if i.permalink in quoted]
        try:
            visible = await self.parts.source.still_visible(items)
        except Exception:  # the check must not cost the user the summary
            log.warning("could not re-check quoted items; showing them as collected", exc_info=True)
            return results
        gone = {i.permalink for i in items if i.reddit_id not in visible}
        if not gone:
            return results
        for opportunity in results.opportunities:
            opportunity.quotes = [q for q in opportunity.quotes if q.permalink not in gone]
        results.notes.append(f"{len(gone)} quoted post(s) or comment(s) were taken down on Reddit and are not shown.")
        return results

    async def deliver(self, analysis_id: str) -> None:
        """Write the report, complete the analysis and publish the summary, exactly once."""
        async with self.database.unit_of_work() as session:
            row = await AnalysisRepository(session).get(analysis_id)
            job = await StageJobRepository(session).get(analysis_id, Stage.AI_ANALYSIS)
        if row is None or job is None or "results" not in job.checkpoint:
            return
        results = await self._without_taken_down(
            analysis_id, OpportunityResults.model_validate(job.checkpoint["results"])
        )
        request = AnalysisRequest.model_validate(row.request)
        cost = await self.governor(row).breakdown()
        report = report_path(self.settings, analysis_id)
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(render_markdown(analysis_id, request, results, cost), encoding="utf-8")
        async with self.database.unit_of_work() as session:
            analyses = AnalysisRepository(session)
            finished = await analyses.finish(
                analysis_id,
                AnalysisStatus.COMPLETED,
                results=results.model_dump(mode="json"),
                report_path=str(report.resolve()),
            )
            claimed = finished and await analyses.claim_delivery(analysis_id)
        if claimed:
            await self.notifier.publish(
                CompletedEvent(analysis_id=analysis_id, results=results, cost=cost, report_path=str(report.resolve()))
            )

    async def fail(self, analysis_id: str, error: BaseException) -> None:
        """End the analysis as failed or cancelled and tell the user, once."""
        cancelled = isinstance(error, AnalysisCancelledError)
        status = AnalysisStatus.CANCELLED if cancelled else AnalysisStatus.FAILED
        message = error.message if isinstance(error, AppError) else APOLOGY
        if not isinstance(error, AppError):
            log.error("analysis failed", exc_info=error, extra={"analysis_id": analysis_id})
        async with self.database.unit_of_work() as session:
            finished = await AnalysisRepository(session).finish(
                analysis_id, status, error=None if cancelled else message
            )
            await StageJobRepository(session).finish_open(analysis_id, status)
            row = await AnalysisRepository(session).get(analysis_id)
        if not finished or row is None:
            return
        # Stamped here: the sweeper ends analyses outside any job, where no job context names the workspace.
        if cancelled:
            await self.notifier.publish(CancelledEvent(analysis_id=analysis_id).in_workspace(row.workspace_id))
            return
        spent = (await self.governor(row).totals()).spent
        if isinstance(error, BudgetExceededError):
            message = f"{message} The analysis stopped so it stays within budget."
        failed = FailedEvent(analysis_id=analysis_id, message=message, spent=spent)
        await self.notifier.publish(failed.in_workspace(row.workspace_id))

    async def wait_for_source(
        self, analysis_id: str, stage: Stage, error: SourceUnavailableError, *, tries_left: int
    ) -> float | None:
        """Put the analysis back in the queue while Reddit is down and tell the user; returns the seconds to
        wait before the stage tries again, or None when the wait is over and the analysis has failed.

        The wait is counted from the stage's first start and lasts ``reddit_outage_queue_hours``; each
        wait doubles the one before, so the tries left end at that limit (early tries catch a short
        outage, later ones cost few calls). What was fetched stays in the cache, so nothing paid is lost.
        """
        limit = self.settings.reddit_outage_queue_hours * 3600
        async with self.database.unit_of_work() as session:
            job = await StageJobRepository(session).get(analysis_id, stage)
            since = job.started_at if job is not None and job.started_at is not None else utcnow()
            # SQLite hands datetimes back without their zone; they were stored in UTC.
            since = since if since.tzinfo is not None else since.replace(tzinfo=UTC)
            waited = (utcnow() - since).total_seconds()
            remaining = limit - waited
            analyses = AnalysisRepository(session)
            requeued = remaining > 0 and tries_left > 0 and await analyses.requeue(analysis_id)
            if requeued:
                await StageJobRepository(session).requeue(analysis_id, stage)
            row = await analyses.get(analysis_id)
        if not requeued:
            if row is not None and row.cancel_requested:
                await self.fail(analysis_id, AnalysisCancelledError())
            elif limit > 0:
                # The source's message counts one try; the user waited for all of them.
                waited_for = f" It waited {_duration(waited)} in the queue for Reddit to come back."
                await self.fail(analysis_id, SourceOutageError(error.message + waited_for))
            else:
                await self.fail(analysis_id, error)
            return None
        defer = remaining / ((1 << tries_left) - 1)
        log.warning("Reddit is down; analysis back in the queue, next try in %.0f s", defer)
        await self.notifier.publish(NoticeEvent(analysis_id=analysis_id, message=reddit_down_notice(defer, remaining)))
        return defer


def resume_message(stage: Stage, attempt: int) -> str:
    """The progress line of a stage started again after its last run stopped (a worker died, Reddit was down)."""
    return f"resuming {stage.label} (try {attempt}): the previous run stopped before it finished; nothing is lost"


def reddit_down_notice(defer: float, remaining: float) -> str:
    """What the user is told when their analysis goes back in the queue because Reddit is down."""
    return (
        "Reddit cannot be reached right now, so this analysis is back in the queue and starts again by itself "
        f"once Reddit is back (next try in {_duration(defer)}; it waits up to {_duration(remaining)}). "
        "Nothing fetched so far is lost or charged again."
    )


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, math.ceil(seconds))} s"
    if seconds < 90 * 60:
        return f"{math.ceil(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def report_path(settings: Settings, analysis_id: str) -> Path:
    """Where the Markdown report of an analysis is written."""
    return settings.reports_dir / f"{analysis_id}.md"
