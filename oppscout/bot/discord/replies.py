"""Replying in a Discord conversation: acknowledge once, post the dialog's answer, start the progress message.

The plumbing every handler shares: an interaction or message is handled once (the
``inbound_events`` table remembers it), a pending confirmation gets Run / Edit / Cancel buttons,
and a started analysis gets its progress message at once, which the worker then edits in place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import discord

from oppscout.bot.discord.places import Place
from oppscout.bot.discord.views import confirm_view
from oppscout.bot.render.embeds import clip
from oppscout.bot.render.text import queue_line
from oppscout.bot.threads import ThreadConversations
from oppscout.core.contract import utcnow
from oppscout.core.conversation.chat import ChatOutcome, ChatService
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.conversations import ConversationRepository, ThreadRef
from oppscout.core.service import AnalysisService, Submission
from oppscout.core.settings import Settings

log = logging.getLogger(__name__)

INTERACTION_ALREADY_ACKNOWLEDGED = 40060


def queued_line(position: int, wait_seconds: float) -> str:
    """The progress message's first text: the place in line."""
    return f"⏳ {queue_line(position, wait_seconds)}"


class DiscordTransport:
    """The ``ThreadTransport`` of one Discord conversation (its place: thread, channel or DMs)."""

    def __init__(self, place: Place) -> None:
        self.place = place

    async def post_progress(self, ref: ThreadRef, text: str, analysis_id: str) -> str | None:
        """Post the progress message; its id names the channel too when the conversation moved to DMs."""
        before = len(self.place.sent)
        await self.place.send(text)
        if len(self.place.sent) == before:
            return None
        message = self.place.sent[-1]
        channel_id = str(message.channel.id)
        # The worker edits this message; when we ended up in DMs, it must know the channel too.
        return str(message.id) if channel_id == ref.channel_id else f"{channel_id}/{message.id}"

    async def retire_question(self, ref: ThreadRef, message_id: str, text: str) -> None:
        """Take Run / Edit / Cancel off a question that the conversation moved past."""
        channel = self.place.channel
        if channel is None:
            return
        await channel.get_partial_message(int(message_id)).edit(view=None)  # type: ignore[attr-defined]


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
        self.threads = ThreadConversations(database, analyses, platform="discord")

    async def first_time(self, key: str) -> bool:
        """True the first time ``key`` is seen; redeliveries and double clicks get False."""
        return await self.threads.first_delivery(key)

    async def _once(self, interaction: discord.Interaction[Any]) -> bool:
        if await self.first_time(f"discord:interaction:{interaction.id}"):
            return True
        log.info("ignoring repeated interaction %s", interaction.id)
        return False

    async def _defer_once(self, interaction: discord.Interaction[Any], *, ephemeral: bool = False) -> bool:
        """Acknowledge at once (Discord allows 3 seconds), then make sure the interaction is new.

        Deferring comes first so that the database is never between the user and the 3-second
        limit. A replayed interaction is refused by Discord (40060) and ends here quietly.
        """
        try:
            # A private answer needs a private defer: follow-ups of a public defer show to everyone.
            await interaction.response.defer(thinking=True, ephemeral=ephemeral)
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
        if view is not None and place.sent and str(place.sent[-1].channel.id) == ref.channel_id:
            self.threads.remember_question(ref, str(place.sent[-1].id), place.sent[-1].content)
        await self.start_progress(place, outcome.submission)

    async def start_progress(self, place: Place, submission: Submission | None) -> None:
        """Post the progress message the worker will edit in place, so the wait is visible at once.

        The shared thread helper claims it in the database first: when a fast worker already holds the
        claim, its message is the one and nothing is posted here.
        """
        await self.threads.start_progress(DiscordTransport(place), place.ref, submission, queued_line)

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
