"""Progress reporting for a running stage: throttled events, saved progress and ETA."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from oppscout.core.contract import ProgressUpdate, Stage, utcnow
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.repositories.stage_jobs import StageJobRepository
from oppscout.core.errors import AnalysisCancelledError
from oppscout.core.events import ProgressEvent
from oppscout.core.ports import Notifier
from oppscout.core.schedule import overall_percent


class StageProgress:
    """Reports one stage's progress at most every ``interval`` seconds and checks for cancel."""

    def __init__(
        self,
        database: Database,
        notifier: Notifier,
        analysis_id: str,
        stage: Stage,
        *,
        interval: float,
        posts: int = 0,
        comments: int = 0,
    ) -> None:
        self.database = database
        self.notifier = notifier
        self.analysis_id = analysis_id
        self.stage = stage
        self.interval = interval
        self.posts = posts
        self.comments = comments
        self._started = time.monotonic()
        self._last = float("-inf")

    def _eta(self, fraction: float) -> datetime | None:
        if fraction <= 0.02:
            return None
        elapsed = time.monotonic() - self._started
        return utcnow() + timedelta(seconds=elapsed * (1 - fraction) / fraction)

    async def report(self, done: int, expected: int, message: str = "", *, force: bool = False) -> None:
        """Record progress; raises AnalysisCancelledError when the user cancelled meanwhile."""
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        fraction = min(1.0, done / expected) if expected else 0.0
        stage_percent = int(fraction * 100)
        update = ProgressUpdate(
            stage=self.stage,
            percent=overall_percent(self.stage, stage_percent),
            stage_percent=stage_percent,
            message=message or self.stage.label,
            posts_collected=self.posts,
            comments_collected=self.comments,
            estimated_completion=self._eta(fraction),
        )
        async with self.database.unit_of_work() as session:
            analyses = AnalysisRepository(session)
            if await analyses.is_cancel_requested(self.analysis_id):
                raise AnalysisCancelledError()
            row = await analyses.get(self.analysis_id)
            # A retried stage starts its own count again; the analysis's percent never goes back.
            before = int((row.progress or {}).get("percent", 0)) if row is not None else 0
            update.percent = max(update.percent, before)
            await analyses.save_progress(self.analysis_id, update.model_dump(mode="json"))
            await StageJobRepository(session).update_progress(
                self.analysis_id,
                self.stage,
                progress=update.stage_percent,
                estimated_completion=update.estimated_completion,
            )
        await self.notifier.publish(ProgressEvent(analysis_id=self.analysis_id, progress=update))
