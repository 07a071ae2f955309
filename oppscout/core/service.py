"""The analysis service: the one entry the interfaces call to start, follow and cancel analyses."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.contract import (
    STAGES,
    AnalysisMetadata,
    AnalysisRequest,
    AnalysisResponse,
    AnalysisStatus,
    CostBreakdown,
    OpportunityResults,
    ProgressUpdate,
    QueueStatus,
    Stage,
    WorkerJobStatus,
    utcnow,
)
from oppscout.core.conversation.commands import StartAnalysis
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.repositories.conversations import ConversationRepository, ThreadRef
from oppscout.core.db.repositories.feedback import FeedbackRepository
from oppscout.core.db.repositories.inbound_events import InboundEventRepository
from oppscout.core.db.repositories.ledger import ledger_totals
from oppscout.core.db.repositories.stage_jobs import StageJobRepository
from oppscout.core.db.tables import AnalysisRow
from oppscout.core.errors import InvalidRequestError, NotFoundError, QueueUnavailableError
from oppscout.core.events import CancelledEvent
from oppscout.core.listing import AnalysisPage, page_of
from oppscout.core.ports import AnalysisQueuePort, Notifier
from oppscout.core.schedule import StageRun, job_statuses, typical_seconds
from oppscout.core.settings import Settings
from oppscout.core.spend import SpendGovernor
from oppscout.core.wording import usd

log = logging.getLogger(__name__)

# A row younger than this may still be on its way to the queue; the reconciler leaves it alone.
RECONCILE_GRACE = timedelta(seconds=5)


@dataclass(frozen=True)
class Submission:
    """What happened to a submitted request."""

    analysis_id: str
    queued: bool
    duplicate: bool = False
    message: str = ""


class AnalysisService:
    """Starts, reports on and cancels analyses. Interfaces call this and nothing deeper.

    It is the one way in: every interface (typed chat, slash-command fields, modals, buttons, REST,
    watches) starts an analysis through ``start``, which applies the same policy in the same order —
    a repeated idempotency key returns the first analysis, then the per-analysis budget cap, then the
    monthly spend caps — and words every refusal once.
    """

    def __init__(
        self,
        database: Database,
        queue: AnalysisQueuePort,
        notifier: Notifier | None = None,
        *,
        settings: Settings | None = None,
        spend: SpendGovernor | None = None,
    ) -> None:
        self.database = database
        self.queue = queue
        self.notifier = notifier
        self.settings = settings
        # Without settings (some tests, tools) no cap applies; every process built by Runtime has them.
        self.spend = spend if spend is not None else (SpendGovernor(database, settings) if settings else None)

    async def check(self, command: StartAnalysis) -> None:
        """Raise the AppError that ``start`` would refuse ``command`` with; nothing is saved.

        Adapters call it to refuse privately before they open a public thread; ``start`` checks again.
        """
        max_cost = command.request.max_cost
        if self.settings is not None and max_cost > self.settings.max_cost_cap_usd:
            raise InvalidRequestError(
                f"The budget {usd(max_cost)} is above this workspace's cap of "
                f"{usd(self.settings.max_cost_cap_usd)} per analysis."
            )
        if self.spend is not None and not command.caps_checked:
            await self.spend.check(command.workspace, command.user, max_cost)

    async def start(self, command: StartAnalysis) -> Submission:
        """Apply the policy, save the analysis, then queue it. Refusals raise an AppError safe to show."""
        if command.idempotency_key is not None:
            # A redelivery is answered with what the first delivery started, even if the caps are now used up.
            async with self.database.unit_of_work() as session:
                existing = await InboundEventRepository(session).analysis_for(command.idempotency_key)
            if existing:
                return Submission(analysis_id=existing, queued=True, duplicate=True)
        await self.check(command)
        return await self._save_and_queue(command)

    async def submit(
        self,
        request: AnalysisRequest,
        *,
        thread: ThreadRef | None = None,
        workspace_id: str = "local",
        idempotency_key: str | None = None,
    ) -> Submission:
        """``start`` with the command's fields as arguments (the same policy applies)."""
        return await self.start(
            StartAnalysis(request, thread=thread, workspace_id=workspace_id, idempotency_key=idempotency_key)
        )

    async def _save_and_queue(self, command: StartAnalysis) -> Submission:
        request, thread, idempotency_key = command.request, command.thread, command.idempotency_key
        workspace_id = command.workspace_id
        analysis_id = uuid.uuid4().hex
        platform = thread.platform if thread else "api"
        async with self.database.unit_of_work() as session:
            if idempotency_key is not None:
                inbound = InboundEventRepository(session)
                if not await inbound.remember(idempotency_key, analysis_id):
                    existing = await inbound.analysis_for(idempotency_key)
                    return Submission(analysis_id=existing or "", queued=True, duplicate=True)
            await AnalysisRepository(session).add(
                AnalysisRow(
                    id=analysis_id,
                    status=AnalysisStatus.QUEUED,
                    request=request.model_dump(mode="json"),
                    workspace_id=thread.workspace_id if thread else workspace_id,
                    platform=platform,
                    requested_by=command.user,
                    created_at=utcnow(),
                    progress={},
                )
            )
            if thread is not None:
                conversations = ConversationRepository(session)
                conversation = await conversations.open(thread)
                await conversations.link_analysis(conversation.id, analysis_id)
        # Enqueue only after the commit: a worker must never pick up a job whose row is not there yet.
        try:
            await self.queue.enqueue(analysis_id)
        except QueueUnavailableError as exc:
            log.warning("queue unavailable at submit; the reconciler will queue it", extra={"analysis_id": analysis_id})
            return Submission(analysis_id=analysis_id, queued=False, message=exc.message)
        async with self.database.unit_of_work() as session:
            await AnalysisRepository(session).set_enqueued(analysis_id)
        return Submission(analysis_id=analysis_id, queued=True)

    async def recent(self, workspace_id: str, *, limit: int = 20) -> list[AnalysisRow]:
        """The workspace's newest analyses first (for pickers and "my latest"); listeners never query themselves."""
        async with self.database.unit_of_work() as session:
            return list(await AnalysisRepository(session).list_recent(workspace_id=workspace_id, limit=limit))

    async def page(self, workspace_id: str, *, limit: int, offset: int) -> AnalysisPage:
        """One page of the workspace's analyses, newest first (the REST listing)."""
        async with self.database.unit_of_work() as session:
            # One row past the page tells whether another page follows, without counting the table.
            rows = await AnalysisRepository(session).list_recent(
                workspace_id=workspace_id, limit=limit + 1, offset=offset
            )
        return page_of(rows, limit=limit, offset=offset)

    async def queue_status(self, analysis_id: str) -> QueueStatus:
        """Where the analysis stands in line."""
        async with self.database.unit_of_work() as session:
            durations = await self._analysis_durations(session)
        return await self.queue.status(analysis_id, durations)

    async def _analysis_durations(self, session: AsyncSession) -> list[float]:
        jobs = StageJobRepository(session)
        per_stage = [await jobs.recent_durations(stage, limit=20) for stage in STAGES]
        n = min((len(d) for d in per_stage), default=0)
        return [sum(d[i] for d in per_stage) for i in range(n)]

    async def get(self, analysis_id: str, *, workspace_id: str | None = None) -> AnalysisResponse:
        """The analysis as the contract describes it; NotFoundError when it is not visible."""
        async with self.database.unit_of_work() as session:
            row = await AnalysisRepository(session).get(analysis_id, workspace_id=workspace_id)
            if row is None:
                raise NotFoundError("There is no analysis with that id.")
            totals = await ledger_totals(session, analysis_id)
        request = AnalysisRequest.model_validate(row.request)
        return AnalysisResponse(
            analysis_id=row.id,
            status=AnalysisStatus(row.status),
            progress=ProgressUpdate.model_validate(row.progress or {}),
            results=OpportunityResults.model_validate(row.results) if row.results else None,
            cost_breakdown=CostBreakdown(
                total=totals.spent,
                reddit_calls=totals.reddit_calls,
                reddit_cost=totals.reddit_cost,
                llm_tokens_in=totals.tokens_in,
                llm_tokens_out=totals.tokens_out,
                llm_cost=totals.llm_cost,
                reserved=totals.reserved,
                budget=request.max_cost,
            ),
            metadata=AnalysisMetadata(
                created_at=row.created_at,
                started_at=row.started_at,
                completed_at=row.completed_at,
                platform=row.platform,
                requested_by=row.requested_by,
                subreddits=request.subreddits,
                keywords=request.keywords or [],
                window_start=request.time_range.start,
                window_end=request.time_range.end,
                error=row.error,
            ),
        )

    async def jobs(self, analysis_id: str) -> list[WorkerJobStatus]:
        """The stage jobs of an analysis in stage order, each with an estimated completion
        (the stages not reached yet are listed as queued while the analysis is not final)."""
        async with self.database.unit_of_work() as session:
            row = await AnalysisRepository(session).get(analysis_id)
            rows = await StageJobRepository(session).list_for(analysis_id)
            durations = {s: await StageJobRepository(session).recent_durations(s, limit=20) for s in STAGES}
        if row is None:
            raise NotFoundError("There is no analysis with that id.")
        status = AnalysisStatus(row.status)
        wait = 0.0
        if status == AnalysisStatus.QUEUED:
            try:
                wait = (await self.queue.status(analysis_id, self._totals(durations))).estimated_wait
            except QueueUnavailableError:
                log.warning(
                    "queue unreachable; estimating without the wait in line", extra={"analysis_id": analysis_id}
                )
        runs = [
            StageRun(
                stage=Stage(r.stage),
                status=AnalysisStatus(r.status),
                progress=r.progress,
                attempts=r.attempts,
                started_at=r.started_at,
                finished_at=r.finished_at,
                estimated_completion=r.estimated_completion,
                cost_accumulated=r.cost_accumulated,
            )
            for r in rows
        ]
        return job_statuses(
            analysis_id, status, runs, typical=typical_seconds(durations), wait_seconds=wait, now=utcnow()
        )

    @staticmethod
    def _totals(durations: dict[Stage, list[float]]) -> list[float]:
        n = min((len(d) for d in durations.values()), default=0)
        return [sum(d[i] for d in durations.values()) for i in range(n)]

    async def cancel(self, analysis_id: str, *, answered_in_thread: bool = False) -> str:
        """Cancel a queued or running analysis; returns what to tell the user.

        ``answered_in_thread``: the caller posts the returned text in the analysis's own thread, so the
        thread is not told a second time (its progress message still shows the end).
        """
        async with self.database.unit_of_work() as session:
            analyses = AnalysisRepository(session)
            row = await analyses.get(analysis_id)
            if row is None:
                raise NotFoundError("There is no analysis with that id.")
            status = AnalysisStatus(row.status)
            if status.is_final:
                return f"That analysis is already {status.value}; nothing to cancel."
            await analyses.request_cancel(analysis_id)
            if status == AnalysisStatus.QUEUED:
                # Not started: finish it here; a worker that picks the job up later sees the final status.
                await analyses.finish(analysis_id, AnalysisStatus.CANCELLED)
                await StageJobRepository(session).finish_open(analysis_id, AnalysisStatus.CANCELLED)
        if status == AnalysisStatus.QUEUED:
            if self.notifier is not None:
                await self.notifier.publish(
                    CancelledEvent(analysis_id=analysis_id, answered=answered_in_thread).in_workspace(row.workspace_id)
                )
            if row.started_at is not None:
                # Back in the queue after a start (Reddit was down): what it fetched may have been charged.
                return "Cancelled while it waited in the queue. Anything already spent stays on the bill; nothing more will be."
            return "Cancelled before it started. Nothing was charged."
        return "Stopping the analysis. Anything already spent stays on the bill; nothing more will be."

    async def record_feedback(self, analysis_id: str, rank: int, *, platform: str, user_id: str, vote: int) -> str:
        """Store a 👍 (vote > 0) or 👎 on the opportunity at ``rank`` (1-based); returns a thank-you."""
        async with self.database.unit_of_work() as session:
            row = await AnalysisRepository(session).get(analysis_id)
            if row is None or not row.results:
                raise NotFoundError("That analysis has no results to rate.")
            opportunities = OpportunityResults.model_validate(row.results).opportunities
            if not 1 <= rank <= len(opportunities):
                raise NotFoundError("That opportunity is not in this analysis.")
            await FeedbackRepository(session).record(
                analysis_id, rank, opportunities[rank - 1].title, platform, user_id, vote
            )
        return "Thanks, noted 👍" if vote > 0 else "Thanks, noted 👎"

    async def reconcile(self, *, grace: timedelta = RECONCILE_GRACE) -> list[str]:
        """Queue analyses the database has as unfinished but Redis does not know; returns their ids.

        Rows younger than ``grace`` are left alone: their submitter may be enqueuing them right now.
        """
        requeued: list[str] = []
        async with self.database.unit_of_work() as session:
            rows = await AnalysisRepository(session).list_queued(created_before=utcnow() - grace)
            processing = await AnalysisRepository(session).list_processing(started_before=utcnow() - grace)
        for row in [*rows, *processing]:
            stage = await self._next_stage(row.id)
            if stage is None or await self.queue.any_stage_running(row.id):
                continue
            if await self.queue.is_known(row.id, stage):
                continue
            if await self.queue.enqueue(row.id, stage):
                requeued.append(row.id)
                async with self.database.unit_of_work() as session:
                    await AnalysisRepository(session).set_enqueued(row.id)
        return requeued

    async def _next_stage(self, analysis_id: str) -> Stage | None:
        async with self.database.unit_of_work() as session:
            rows = {r.stage: r for r in await StageJobRepository(session).list_for(analysis_id)}
        for stage in STAGES:
            row = rows.get(stage)
            if row is None or row.status != AnalysisStatus.COMPLETED:
                return stage
        return None
