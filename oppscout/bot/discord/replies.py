"""Replying in a Discord conversation: acknowledge once, post the dialog's answer, start the progress message.

The plumbing every handler shares: an interaction or message is handled once (the
``inbound_events`` table remembers it), a pending confirmation gets Run / Edit / Cancel buttons,
and a started analysis gets its progress message at once, which the worker then edits in place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import Any

import discord

from oppscout.bot.discord.places import Place
from oppscout.bot.discord.views import confirm_view
from oppscout.bot.render.embeds import clip
from oppscout.bot.render.text import queue_line
from oppscout.core.contract import utcnow
from oppscout.core.conversation.chat import ChatOutcome, ChatService
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.conversations import ConversationRepository, ThreadRef
from oppscout.core.db.repositories.inbound_events import InboundEventRepository
from oppscout.core.errors import AppError
from oppscout.core.service import AnalysisService, Submission
from oppscout.core.settings import Settings

log = logging.getLogger(__name__)

INTERACTION_ALREADY_ACKNOWLEDGED = 40060


class ConversationReplies:
    """What every Discord handler needs to answer in a conversation."""

    def __init__(
        self,
        settings: Settings,
        chat: ChatService,
        analyses: AnalysisService,
        database: Database,
        *,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.chat = chat
        self.analyses = analyses
        self.database = database
        self.now = now

    async def first_time(self, key: str) -> bool:
        """True the first time ``key`` is seen; redeliveries and double clicks get False."""
        async with self.database.unit_of_work() as session:
            return await InboundEventRepository(session).remember(key)

    async def _once(self, interaction: discord.Interaction[Any]) -> bool:
        if await self.first_time(f"discord:interaction:{interaction.id}"):
            return True
        log.info("ignoring repeated interaction %s", interaction.id)
        return False

    async def _defer_once(self, interaction: discord.Interaction[Any]) -> bool:
        """Acknowledge at once (Discord allows 3 seconds), then make sure the interaction is new.

        Deferring comes first so that the database is never between the user and the 3-second
        limit. A replayed interaction is refused by Discord (40060) and ends here quietly.
        """
        try:
            await interaction.response.defer(thinking=True)
        except discord.HTTPException as error:
            if error.code == INTERACTION_ALREADY_ACKNOWLEDGED:
                log.info("interaction %s was already acknowledged", interaction.id)
                return False
            raise
        return await self._once(interaction)

    async def _conversation(self, ref: ThreadRef) -> tuple[str | None, bool]:
        async with self.database.unit_of_work() as session:
            row = await ConversationRepository(session).open(ref)
            return row.analysis_id, (row.state or {}).get("phase") == "confirming"

    async def reply(self, place: Place, outcome: ChatOutcome, ref: ThreadRef) -> None:
        """Post a chat outcome; a pending confirmation gets Run / Edit / Cancel buttons."""
        texts = list(outcome.messages)
        texts += submission_lines(outcome.submission)
        _, confirming = await self._conversation(ref)
        view = confirm_view(int(ref.user_id)) if confirming and outcome.submission is None else None
        await place.send("\n\n".join(texts) or "…", view=view)
        await self.start_progress(place, outcome.submission)

    async def start_progress(self, place: Place, submission: Submission | None) -> None:
        """Post the progress message the worker will edit in place, so the wait is visible at once."""
        if submission is None or submission.duplicate or not submission.queued or not submission.analysis_id:
            return
        try:
            queued = await self.analyses.queue_status(submission.analysis_id)
            line = queue_line(queued.position, queued.estimated_wait)
        except AppError:
            line = "queued"
        if await self._progress_message_of(submission.analysis_id):
            return  # a fast worker already posted it
        await place.send(f"⏳ {line}")
        if not place.sent:
            return
        message = place.sent[-1]
        channel_id = str(message.channel.id)
        # The worker edits this message; when we ended up in DMs, it must know the channel too.
        progress_id = str(message.id) if channel_id == place.ref.channel_id else f"{channel_id}/{message.id}"
        async with self.database.unit_of_work() as session:
            conversations = ConversationRepository(session)
            row = await conversations.for_analysis(submission.analysis_id)
            claimed = row is not None and row.progress_message_id is None
            if row is not None and claimed:
                await conversations.set_progress_message(row.id, progress_id)
        if not claimed:
            # The worker's first event won the race and posted its own: one progress message only.
            with suppress(discord.HTTPException):
                await message.delete()

    async def _progress_message_of(self, analysis_id: str) -> str | None:
        async with self.database.unit_of_work() as session:
            row = await ConversationRepository(session).for_analysis(analysis_id)
            return row.progress_message_id if row is not None else None

    @staticmethod
    async def answer(interaction: discord.Interaction[Any], text: str, *, ephemeral: bool = False) -> None:
        """Reply to an interaction whether or not it was deferred."""
        text = clip(text, 2000)
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=ephemeral)
        else:
            await interaction.response.send_message(text, ephemeral=ephemeral)


def submission_lines(submission: Submission | None) -> list[str]:
    """What to add to a reply about a submitted analysis (started, repeated, or waiting for the queue)."""
    if submission is None:
        return []
    if submission.duplicate:
        return ["That request was already started; its progress is in this conversation."]
    if not submission.queued:
        return [submission.message] if submission.message else []
    return ["I'll keep progress, cost warnings and the summary here."]
