"""The worker's notifier for direct messages: cost alerts, watch alerts and summaries by email.

It sits in the worker's fan-out beside the thread notifiers. Everything it sends goes through
the outbox first (keyed, so a replayed event adds nothing), then is tried at once; failures are
retried by the scheduler's tick.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from oppscout.core.contract import AnalysisRequest, utcnow
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.repositories.conversations import ConversationRepository
from oppscout.core.db.repositories.outbox import OutboxRepository
from oppscout.core.events import AnalysisEvent, CancelledEvent, CompletedEvent, CostEvent, FailedEvent
from oppscout.core.outbox import EMAIL, Draft, OutboxDispatcher, enqueue
from oppscout.core.watches.alerts import summary_text
from oppscout.core.watches.scheduler import WatchScheduler
from oppscout.core.wording import usd

# The level the cost governor gives the warning for a user's own costThreshold.
COST_THRESHOLD_LEVEL = -1.0
# Analyses submitted without a chat thread have no one to DM.
NO_DM_PLATFORMS = {"api"}


class AlertNotifier:
    """Turns analysis events into DMs and emails through the outbox."""

    def __init__(
        self,
        database: Database,
        scheduler: WatchScheduler,
        dispatcher: OutboxDispatcher,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.scheduler = scheduler
        self.dispatcher = dispatcher
        self.clock = clock

    async def publish(self, event: AnalysisEvent) -> None:
        """React to the events that concern DMs; ignore the rest."""
        ids: list[int] = []
        if isinstance(event, CostEvent) and event.level == COST_THRESHOLD_LEVEL and event.warning:
            ids = await self._cost_alert(event.analysis_id, event.warning)
        elif isinstance(event, CompletedEvent | FailedEvent | CancelledEvent):
            watch_ids = await self.scheduler.evaluate(event.analysis_id)
            if watch_ids is None and isinstance(event, CompletedEvent):
                ids = await self._summary_email(event)
        if ids:
            await self.dispatcher.dispatch(ids)

    async def _cost_alert(self, analysis_id: str, warning: str) -> list[int]:
        now = self.clock()
        async with self.database.unit_of_work() as session:
            row = await AnalysisRepository(session).get(analysis_id)
            if row is None or row.requested_by is None:
                return []
            request = AnalysisRequest.model_validate(row.request)
            subs = ", ".join(f"r/{s}" for s in request.subreddits)
            text = f"💸 Your analysis of {subs} (id {analysis_id[:8]}, budget {usd(request.max_cost)}): {warning}"
            drafts: list[Draft] = []
            prefs = request.notification_preferences
            if prefs.push and row.platform not in NO_DM_PLATFORMS:
                thread = await ConversationRepository(session).for_analysis(analysis_id)
                drafts.append(
                    Draft(
                        f"cost-threshold:{analysis_id}:dm",
                        row.platform,
                        row.workspace_id,
                        row.requested_by,
                        text,
                        report_channel_id=thread.channel_id if thread else None,
                        report_thread_id=thread.thread_id if thread else None,
                    )
                )
            if prefs.email:
                address = await OutboxRepository(session).email_of(row.platform, row.workspace_id, row.requested_by)
                if address:
                    drafts.append(Draft(f"cost-threshold:{analysis_id}:email", EMAIL, row.workspace_id, address, text))
            ids = [await enqueue(session, d, now) for d in drafts]
        return [i for i in ids if i is not None]

    async def _summary_email(self, event: CompletedEvent) -> list[int]:
        now = self.clock()
        async with self.database.unit_of_work() as session:
            row = await AnalysisRepository(session).get(event.analysis_id)
            if row is None or row.requested_by is None:
                return []
            request = AnalysisRequest.model_validate(row.request)
            if not request.notification_preferences.email:
                return []
            address = await OutboxRepository(session).email_of(row.platform, row.workspace_id, row.requested_by)
            if not address:
                return []
            text = summary_text(event.analysis_id, event.results, request.subreddits)
            new = await enqueue(
                session, Draft(f"summary:{event.analysis_id}:email", EMAIL, row.workspace_id, address, text), now
            )
        return [new] if new is not None else []
