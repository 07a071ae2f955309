"""Worker-side delivery to Discord over the REST API only (no gateway connection in the worker).

One progress message per analysis is edited in place; cost warnings and notices are their own
messages; the summary is posted as embeds (within Discord's limits) with 👍/👎 buttons and the
Markdown report attached. When the channel refuses us (403), the user gets the message by DM
with an explanation, and the progress message moves along with it.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from contextlib import suppress
from pathlib import Path

import discord
from discord.http import HTTPClient, handle_message_parameters

from oppscout.bot.discord.rest import DiscordRestClient
from oppscout.bot.discord.views import feedback_view
from oppscout.bot.render.embeds import clip, shown_opportunities, summary_embeds
from oppscout.bot.render.opportunity_map import MAP_FILENAME, render_opportunity_map
from oppscout.bot.render.text import CANCELLED_NOTE, coverage_line, progress_line, queue_line, report_filename
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
from oppscout.core.settings import Settings
from oppscout.core.wording import usd

log = logging.getLogger(__name__)

Attachment = tuple[str, bytes]
"""A file to attach: its name and its bytes."""

# The summary pings the person who asked; nothing a worker posts may ever ping a role or @everyone.
ONLY_USERS = discord.AllowedMentions(everyone=False, roles=False, users=True)
MOVED_TO_DM = "I couldn't post in the channel you asked from (missing permission), so I'm following up here."


class DiscordThreadNotifier(DiscordRestClient):
    """Shows analysis events in the Discord thread (or channel, or DM) the analysis came from."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._last_edit: dict[str, float] = {}

    async def deliver(self, event: AnalysisEvent, thread: ThreadView) -> str | None:
        """Show one event; returns the progress message's id (``channel/message`` once moved to DM)."""
        http = await self.client()
        if isinstance(event, QueuedEvent | StageEvent | ProgressEvent) and self._too_soon(thread.progress_message_id):
            # Discord allows about five edits per five seconds per channel; the final state always gets through.
            return thread.progress_message_id
        if isinstance(event, QueuedEvent):
            return await self._progress(http, thread, f"⏳ {queue_line(event.position, event.estimated_wait)}")
        if isinstance(event, StageEvent):
            return await self._progress(http, thread, f"⏳ {event.stage.label}…")
        if isinstance(event, ProgressEvent):
            return await self._progress(http, thread, f"⏳ {progress_line(event.progress)}")
        if isinstance(event, CostEvent):
            if event.warning:
                await self._post(http, thread, f"💸 {event.warning}")
            return None
        if isinstance(event, NoticeEvent):
            await self._post(http, thread, f"ℹ️ {event.message}")
            return None
        if isinstance(event, CompletedEvent):
            progress = await self._progress(http, thread, f"✅ Done · {coverage_line(event.results)}")
            await self._summary(http, thread, event)
            return progress
        if isinstance(event, FailedEvent):
            progress = await self._progress(http, thread, "✖ Failed")
            await self._post(http, thread, f"✖ {event.message} (spent {usd(event.spent)})")
            return progress
        if isinstance(event, CancelledEvent):
            progress = await self._progress(http, thread, "⏹ Cancelled")
            if not event.answered:
                await self._post(http, thread, CANCELLED_NOTE)
            return progress
        return None

    def _too_soon(self, progress_id: str | None) -> bool:
        if progress_id is None:
            return False
        last = self._last_edit.get(progress_id)
        return last is not None and time.monotonic() - last < self.settings.discord_progress_update_seconds

    async def _progress(self, http: HTTPClient, thread: ThreadView, text: str) -> str:
        """Edit the one progress message in place, or create it."""
        progress_id = await self._edit_or_post(http, thread, text)
        self._last_edit[progress_id] = time.monotonic()
        return progress_id

    async def _edit_or_post(self, http: HTTPClient, thread: ThreadView, text: str) -> str:
        if thread.progress_message_id:
            channel_id, _, message_id = thread.progress_message_id.rpartition("/")
            try:
                with handle_message_parameters(content=clip(text, 2000)) as params:
                    await http.edit_message(channel_id or thread.channel_id, message_id, params=params)
                return thread.progress_message_id
            except discord.NotFound:
                log.info("progress message %s is gone; posting a new one", message_id)
        return await self._post(http, thread, text)

    async def _post(
        self,
        http: HTTPClient,
        thread: ThreadView,
        text: str,
        *,
        embeds: list[discord.Embed] | None = None,
        files: list[Attachment] | None = None,
        view: discord.ui.View | None = None,
    ) -> str:
        """Post a message to the thread; on 403, to the user's DMs. Returns its id for later edits."""
        try:
            return await self._send(http, thread.channel_id, text, embeds, files or [], view)
        except discord.Forbidden:
            log.info("cannot post in %s; sending by DM", thread.channel_id)
        dm = await http.start_private_message(int(thread.user_id))
        message_id = await self._send(http, str(dm["id"]), f"{MOVED_TO_DM}\n\n{text}", embeds, files or [], view)
        return f"{dm['id']}/{message_id}"

    @staticmethod
    async def _send(
        http: HTTPClient,
        channel_id: str,
        text: str,
        embeds: list[discord.Embed] | None,
        attachments: list[Attachment],
        view: discord.ui.View | None,
    ) -> str:
        # A fresh File per attempt: discord.py consumes the stream, and a DM retry sends it again.
        files = [discord.File(io.BytesIO(data), filename=name) for name, data in attachments]
        options: dict[str, object] = {}
        if embeds:
            options["embeds"] = embeds
        if files:
            options["files"] = files
        if view is not None:
            options["view"] = view
        try:
            with handle_message_parameters(
                content=clip(text, 2000),
                allowed_mentions=ONLY_USERS,
                **options,  # type: ignore[arg-type]
            ) as params:
                message = await http.send_message(channel_id, params=params)
        finally:
            for f in files:
                with suppress(Exception):
                    f.close()
        return str(message["id"])

    async def _summary(self, http: HTTPClient, thread: ThreadView, event: CompletedEvent) -> None:
        embeds = summary_embeds(event.results, event.cost, analysis_id=event.analysis_id)
        view = feedback_view(event.analysis_id, shown_opportunities(embeds))
        report = await _read_report(event.report_path, report_filename(event.results))
        attachments = [a for a in (report, await _render_map(event)) if a is not None]
        lead = f"<@{thread.user_id}> your analysis is ready."
        if view is not None:
            lead += " Rate each opportunity with 👍 / 👎 below."
        await self._post(
            http, thread, lead, embeds=[discord.Embed.from_dict(e) for e in embeds], files=attachments, view=view
        )


async def _read_report(path: str | None, name: str) -> Attachment | None:
    """The Markdown report as ``name`` and its bytes, read off the event loop; None when there is none."""
    if not path:
        return None
    report = Path(path)
    try:
        data = await asyncio.to_thread(report.read_bytes)
    except OSError:
        log.warning("report %s is missing; posting the summary without it", path)
        return None
    return name, data


async def _render_map(event: CompletedEvent) -> Attachment | None:
    """The opportunity map PNG, drawn off the event loop; a drawing failure never blocks the summary."""
    try:
        png = await asyncio.to_thread(render_opportunity_map, event.results)
    except Exception:
        log.warning("could not draw the opportunity map", exc_info=True, extra={"analysis_id": event.analysis_id})
        return None
    return (MAP_FILENAME, png) if png else None
