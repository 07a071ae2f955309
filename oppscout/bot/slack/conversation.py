"""Slack threads as conversations: dedupe deliveries, run one ChatService turn, reply in the thread.

Listeners translate Slack payloads into a ``ThreadRef`` and text, then call one method here. This
is where replies get their Block Kit (buttons when the dialog is waiting for a yes), and where an
analysis that was just queued gets its progress message, which the worker then edits in place.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from oppscout.bot.render.blockkit import confirmation_blocks, message_blocks, progress_blocks, queued_text
from oppscout.bot.slack.audio import AudioFetcher, audio_file
from oppscout.bot.slack.markup import decode
from oppscout.bot.slack.poster import SlackPoster
from oppscout.bot.slack.workspaces import SlackWorkspaces
from oppscout.bot.threads import STARTING, ThreadConversations
from oppscout.core.conversation.chat import ChatOutcome, ChatService
from oppscout.core.conversation.commands import Cancel, Confirm, EditDraft
from oppscout.core.conversation.dialog import HELP_TEXT
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.db.repositories.thread_lookup import ThreadLookup
from oppscout.core.errors import AppError, VoiceError
from oppscout.core.service import AnalysisService, Submission

log = logging.getLogger(__name__)

PLATFORM = "slack"
DIRECT_CONVERSATION = ""
"""The thread id of a DM's own conversation: messages in a DM's main box, answered there, not in threads."""


def is_direct_channel(channel_id: str) -> bool:
    """Whether a Slack channel id is a direct message with the bot (DM ids start with "D")."""
    return channel_id.startswith("D")


# How long a queued analysis's place in line is kept current; past that the worker's events take over.
MAX_QUEUE_FOLLOW_SECONDS = 3600.0
APOLOGY = "Sorry, something went wrong on my side. Please try again in a minute."


def plain_text(text: str) -> str:
    """What the person typed: Slack's markup decoded, mentions (and the ":" after one) removed."""
    return decode(text).lstrip(":,; ").strip()


class SlackTransport:
    """The ``ThreadTransport`` of one Slack workspace."""

    def __init__(self, poster: SlackPoster) -> None:
        self.poster = poster

    async def post_progress(self, ref: ThreadRef, text: str, analysis_id: str) -> str | None:
        """The progress message, with its Stop button."""
        blocks = progress_blocks(text, analysis_id)
        return await self.poster.post(ref.channel_id, text, thread_ts=ref.thread_id, blocks=blocks, user=ref.user_id)

    async def retire_question(self, ref: ThreadRef, message_id: str, text: str) -> None:
        """The question stays readable; its buttons go."""
        await self.poster.update(ref.channel_id, message_id, text, blocks=message_blocks(text))


class SlackConversations:
    """Carries Slack messages through the ChatService and posts the answers in their thread."""

    def __init__(
        self,
        chat: ChatService,
        service: AnalysisService,
        database: Database,
        workspaces: SlackWorkspaces,
        fetcher: AudioFetcher | None,
        *,
        queue_refresh_seconds: float = 5.0,
    ) -> None:
        self.chat = chat
        self.service = service
        self.database = database
        self.workspaces = workspaces
        self.fetcher = fetcher
        self.queue_refresh_seconds = max(0.01, queue_refresh_seconds)
        self.threads = ThreadConversations(database, service, platform=PLATFORM)
        self._followers: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        """Stop refreshing the place in line of queued analyses."""
        for task in list(self._followers):
            task.cancel()
        await asyncio.gather(*self._followers, return_exceptions=True)

    async def poster(self, workspace_id: str) -> SlackPoster:
        """The poster with the bot token of ``workspace_id``."""
        return await self.workspaces.poster(workspace_id)

    async def first_delivery(self, key: str) -> bool:
        """True the first time Slack delivers ``key``; False for its retries (X-Slack-Retry-Num) and double clicks."""
        return await self.threads.first_delivery(key)

    async def state(self, ref: ThreadRef) -> dict[str, object] | None:
        """The dialog state of a thread the bot talks in, None when the bot is not part of it."""
        async with self.database.unit_of_work() as session:
            return await ThreadLookup(session).state(ref)

    async def message(
        self, ref: ThreadRef, text: str, *, key: str, files: list[dict[str, Any]] | None = None
    ) -> ChatOutcome | None:
        """Answer one message (typed or a voice clip) in its thread; ``key`` makes a redelivery start nothing twice."""
        try:
            clip = audio_file(files)
            if clip is not None and self.fetcher is not None:
                outcome = await self._voice(ref, clip, key)
            elif not plain_text(text):
                outcome = ChatOutcome(messages=[HELP_TEXT])
            else:
                # Typed text moves the conversation on: an open question's buttons must not start it later.
                await self.threads.retire_question(SlackTransport(await self.poster(ref.workspace_id)), ref)
                outcome = await self.chat.handle(ref, plain_text(text), idempotency_key=f"slack:{key}")
        except AppError as error:
            outcome = ChatOutcome(messages=[error.message])
        except Exception:  # the user gets a short apology, never silence or a stack trace
            log.exception("Slack message failed", extra={"thread": ref.thread_id})
            outcome = ChatOutcome(messages=[APOLOGY])
        await self.reply(ref, outcome)
        return outcome

    async def _voice(self, ref: ThreadRef, clip: dict[str, Any], key: str) -> ChatOutcome:
        assert self.fetcher is not None
        try:
            token = (await self.poster(ref.workspace_id)).client.token or ""
            audio = await self.fetcher.fetch(clip, token)
        except VoiceError as error:
            return ChatOutcome(messages=[error.message])
        return await self.chat.handle_voice(
            ref, audio, filename=str(clip.get("name") or "clip"), idempotency_key=f"slack:{key}"
        )

    async def turn(self, ref: ThreadRef, command: EditDraft | Confirm | Cancel, *, key: str) -> ChatOutcome:
        """One typed command from a button or the Edit modal, answered in the thread."""
        self.threads.forget_question(ref)  # the button pressed (or the form) already retired it
        try:
            outcome = await self.chat.command(ref, command, idempotency_key=f"slack:{key}")
        except AppError as error:
            outcome = ChatOutcome(messages=[error.message])
        except Exception:
            log.exception("Slack turn failed", extra={"thread": ref.thread_id})
            outcome = ChatOutcome(messages=[APOLOGY])
        await self.reply(ref, outcome)
        return outcome

    async def reply(self, ref: ThreadRef, outcome: ChatOutcome) -> None:
        """Post the outcome's messages in the thread; the last gets Run/Edit/Cancel when a yes is awaited."""
        poster = await self.poster(ref.workspace_id)
        confirming = (await self.chat.dialog_state(ref)).confirming
        for index, text in enumerate(outcome.messages):
            last = index == len(outcome.messages) - 1
            blocks = confirmation_blocks(text) if confirming and last else message_blocks(text)
            ts = await poster.post(ref.channel_id, text, thread_ts=ref.thread_id, blocks=blocks, user=ref.user_id)
            if confirming and last and ts is not None:
                self.threads.remember_question(ref, ts, text)
        submission = outcome.submission
        if submission is not None and submission.queued and not submission.duplicate and submission.analysis_id:
            await self._progress_message(poster, ref, submission.analysis_id)

    async def _queue_text(self, analysis_id: str) -> str | None:
        """The place-in-line text while the analysis is queued, None once a worker has it."""
        return await self.threads.queue_text(analysis_id, queued_text)

    async def _progress_message(self, poster: SlackPoster, ref: ThreadRef, analysis_id: str) -> None:
        # The thread's one progress message starts as the place in line; the worker edits it from then on.
        submission = Submission(analysis_id=analysis_id, queued=True)
        posted = await self.threads.start_progress(SlackTransport(poster), ref, submission, queued_text)
        if posted is None or posted.text == STARTING:
            return  # a worker claimed it first and posts its own, or has already started
        ts, text = posted.message_id, posted.text
        task = asyncio.create_task(self._follow_queue(poster, ref.channel_id, ts, analysis_id, text))
        self._followers.add(task)
        task.add_done_callback(self._followers.discard)

    async def _follow_queue(self, poster: SlackPoster, channel: str, ts: str, analysis_id: str, shown: str) -> None:
        """Keep the place in line current until a worker starts the analysis (workers post nothing before that)."""
        deadline = asyncio.get_running_loop().time() + MAX_QUEUE_FOLLOW_SECONDS
        while asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(self.queue_refresh_seconds)
            try:
                text = await self._queue_text(analysis_id)
            except Exception:  # a refresh is a courtesy; never let it log-spam or crash the bot
                log.debug("queue refresh failed", exc_info=True)
                continue
            if text is None:
                return
            if text != shown:
                await poster.update(channel, ts, text, blocks=progress_blocks(text, analysis_id))
                shown = text
