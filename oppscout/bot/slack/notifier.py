"""Worker-side delivery to Slack threads: one progress message edited in place, warnings and the summary.

The progress message is edited with chat.update at most once per ``min_update_interval`` seconds
(Slack allows about one update per second per channel, and a busy analysis reports far more often);
stage starts and the final state are always shown. Cost warnings and notices are their own replies,
so people get notified. The summary is Block Kit, split across messages within Block Kit's limits,
followed by the Markdown report as a file.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from slack_sdk.errors import SlackApiError

from oppscout.bot.render.blockkit import (
    final_progress_text,
    message_blocks,
    progress_blocks,
    progress_text,
    queued_text,
    stage_text,
    summary_blocks,
    summary_fallback,
)
from oppscout.bot.render.opportunity_map import MAP_FILENAME, render_opportunity_map
from oppscout.bot.render.text import CANCELLED_NOTE, cost_line, report_filename
from oppscout.bot.slack.poster import SlackPoster
from oppscout.bot.slack.workspaces import SlackWorkspaces
from oppscout.core.contract import AnalysisStatus
from oppscout.core.delivery import ThreadView
from oppscout.core.events import (
    AnalysisEvent,
    CancelledEvent,
    CompletedEvent,
    CostEvent,
    FailedEvent,
    NoticeEvent,
    ProgressEvent,
    QueuedEvent,
    StageEvent,
)
from oppscout.core.wording import usd

log = logging.getLogger(__name__)


class SlackThreadNotifier:
    """The ``ThreadNotifier`` for Slack."""

    def __init__(
        self, workspaces: SlackWorkspaces, *, min_update_interval: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.workspaces = workspaces
        self.min_update_interval = min_update_interval
        self.clock = clock
        self._last_update: dict[str, float] = {}

    async def deliver(self, event: AnalysisEvent, thread: ThreadView) -> str | None:
        """Show one event in the thread; returns the progress message's ts when this call created it."""
        poster = await self.workspaces.poster(thread.workspace_id)
        if isinstance(event, QueuedEvent):
            return await self._progress(
                poster,
                thread,
                queued_text(event.position, event.estimated_wait),
                force=False,
                stoppable=event.analysis_id,
            )
        if isinstance(event, StageEvent):
            return await self._progress(
                poster, thread, stage_text(event.stage.label), force=True, stoppable=event.analysis_id
            )
        if isinstance(event, ProgressEvent):
            return await self._progress(
                poster, thread, progress_text(event.progress), force=False, stoppable=event.analysis_id
            )
        if isinstance(event, CostEvent):
            if event.warning:
                await self._reply(poster, thread, f"💸 {event.warning}")
            return None
        if isinstance(event, NoticeEvent):
            await self._reply(poster, thread, f"ℹ {event.message}")
            return None
        if isinstance(event, CompletedEvent):
            created = await self._final(poster, thread, AnalysisStatus.COMPLETED, cost_line(event.cost))
            await self._summary(poster, event, thread)
            return created
        if isinstance(event, FailedEvent):
            created = await self._final(poster, thread, AnalysisStatus.FAILED, f"spent {usd(event.spent)}")
            await self._reply(poster, thread, f"✖ {event.message}")
            return created
        if isinstance(event, CancelledEvent):
            created = await self._final(poster, thread, AnalysisStatus.CANCELLED)
            if not event.answered:
                await self._reply(poster, thread, CANCELLED_NOTE)
            return created
        return None

    async def _progress(
        self, poster: SlackPoster, thread: ThreadView, text: str, *, force: bool, stoppable: str | None
    ) -> str | None:
        ts = thread.progress_message_id
        now = self.clock()
        if ts is None:
            created = await poster.post(
                thread.channel_id,
                text,
                thread_ts=thread.thread_id,
                blocks=progress_blocks(text, stoppable),
                user=thread.user_id,
            )
            if created:
                self._last_update[created] = now
            return created
        if not force and now - self._last_update.get(ts, float("-inf")) < self.min_update_interval:
            return None  # throttled: the next update or the final state will show newer numbers
        self._last_update[ts] = now
        await poster.update(thread.channel_id, ts, text, blocks=progress_blocks(text, stoppable))
        return None

    async def _final(
        self, poster: SlackPoster, thread: ThreadView, status: AnalysisStatus, detail: str = ""
    ) -> str | None:
        created = await self._progress(poster, thread, final_progress_text(status, detail), force=True, stoppable=None)
        if thread.progress_message_id:
            self._last_update.pop(thread.progress_message_id, None)
        return created

    async def _reply(self, poster: SlackPoster, thread: ThreadView, text: str) -> None:
        await poster.post(
            thread.channel_id, text, thread_ts=thread.thread_id, blocks=message_blocks(text), user=thread.user_id
        )

    async def _summary(self, poster: SlackPoster, event: CompletedEvent, thread: ThreadView) -> None:
        fallback = summary_fallback(event.results)
        for page in summary_blocks(event.analysis_id, event.results, event.cost):
            await poster.post(thread.channel_id, fallback, thread_ts=thread.thread_id, blocks=page, user=thread.user_id)
        await self._upload(poster, thread, event)

    async def _upload(self, poster: SlackPoster, thread: ThreadView, event: CompletedEvent) -> None:
        files: list[dict[str, Any]] = []
        if event.report_path:
            try:
                report = await asyncio.to_thread(Path(event.report_path).read_bytes)
                name = report_filename(event.results)
                files.append({"content": report, "filename": name, "title": "Opportunity report (Markdown)"})
            except OSError:
                log.warning("report %s is gone; not uploading it", event.report_path)
        # Rendering a figure takes tens of milliseconds of CPU: keep it off the event loop.
        picture = await asyncio.to_thread(render_opportunity_map, event.results)
        if picture is not None:
            files.append({"content": picture, "filename": MAP_FILENAME, "title": "Opportunity map"})
        if not files:
            return
        try:
            await poster.client.files_upload_v2(
                channel=thread.channel_id, thread_ts=thread.thread_id or None, file_uploads=files
            )
        except SlackApiError as error:
            await poster.explain_by_dm(error, thread.channel_id, thread.user_id)
