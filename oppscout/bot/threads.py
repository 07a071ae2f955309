"""The thread conversation helper both chat platforms use: first delivery, the one progress message, questions.

Slack and Discord differ only in how they post and edit messages (``ThreadTransport``). What is
the same is here, once:

* a delivery (event id, interaction id, click) is acted on the first time only;
* an analysis gets exactly one progress message, whatever the timing: the helper claims it in the
  database before posting (``ConversationRepository.claim_progress_message``), exactly as the
  worker's notifier does, so whichever comes first posts and the other edits that message;
* the Run / Edit / Cancel question of a thread is remembered, and retired when the conversation
  moves on by text (a typed "yes", a new request), so a stale button can't be pressed later.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Protocol

from oppscout.core.contract import AnalysisStatus
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.conversations import ConversationRepository, ThreadRef
from oppscout.core.db.repositories.inbound_events import InboundEventRepository
from oppscout.core.errors import AppError
from oppscout.core.service import AnalysisService, Submission

log = logging.getLogger(__name__)

QUEUED = "⏳ queued"
STARTING = "⏳ starting…"


@dataclass(frozen=True)
class PostedProgress:
    """The progress message this process posted, and what it said."""

    message_id: str
    text: str


class ThreadTransport(Protocol):
    """How one platform posts and edits messages in a conversation."""

    async def post_progress(self, ref: ThreadRef, text: str, analysis_id: str) -> str | None:
        """Post the progress message (with its Stop control); returns its id, None when nothing was posted."""
        ...

    async def retire_question(self, ref: ThreadRef, message_id: str, text: str) -> None:
        """Take the buttons off a question (``text`` is what it said) that is no longer open."""
        ...


class ThreadConversations:
    """What both chat platforms do the same way in a conversation."""

    def __init__(self, database: Database, service: AnalysisService, *, platform: str) -> None:
        self.database = database
        self.service = service
        self.platform = platform
        # The open question of each thread: (channel, thread) -> message id. Kept in this process only:
        # after a restart an old question's button is answered by the dialog ("nothing waiting for a yes").
        self._questions: dict[tuple[str, str], tuple[str, str]] = {}

    async def first_delivery(self, key: str) -> bool:
        """True the first time ``key`` is delivered; False for redeliveries, retries and double clicks."""
        async with self.database.unit_of_work() as session:
            return await InboundEventRepository(session).remember(f"{self.platform}:seen:{key}")

    async def queue_text(self, analysis_id: str, render: QueueRenderer) -> str | None:
        """The place-in-line text while the analysis is queued, None once a worker has it."""
        try:
            if (await self.service.get(analysis_id)).status != AnalysisStatus.QUEUED:
                return None
            queue = await self.service.queue_status(analysis_id)
        except AppError:
            return QUEUED
        return render(queue.position, queue.estimated_wait)

    async def start_progress(
        self, transport: ThreadTransport, ref: ThreadRef, submission: Submission | None, render: QueueRenderer
    ) -> PostedProgress | None:
        """Post the analysis's progress message unless someone (a fast worker) already claimed it.

        Returns the message posted here and its text, None when this call posted nothing.
        """
        if submission is None or submission.duplicate or not submission.queued or not submission.analysis_id:
            return None
        analysis_id = submission.analysis_id
        token = secrets.token_hex(8)
        async with self.database.unit_of_work() as session:
            if not await ConversationRepository(session).claim_progress_message(analysis_id, token):
                return None  # the worker's first event holds it: its message is the one
        message_id: str | None = None
        text = STARTING
        try:
            # A worker that starts meanwhile waits for this message and edits it: no stale "queued" stays.
            text = await self.queue_text(analysis_id, render) or STARTING
            message_id = await transport.post_progress(ref, text, analysis_id)
        finally:
            async with self.database.unit_of_work() as session:
                await ConversationRepository(session).settle_progress_message(analysis_id, token, message_id)
        return PostedProgress(message_id, text) if message_id is not None else None

    def remember_question(self, ref: ThreadRef, message_id: str, text: str) -> None:
        """The message with Run / Edit / Cancel that is now the thread's open question."""
        self._questions[(ref.channel_id, ref.thread_id)] = (message_id, text)

    def forget_question(self, ref: ThreadRef) -> None:
        """The open question was answered with its buttons (they are already retired)."""
        self._questions.pop((ref.channel_id, ref.thread_id), None)

    async def retire_question(self, transport: ThreadTransport, ref: ThreadRef) -> None:
        """The conversation moved on by text: the open question's buttons go, so they can't start it later."""
        question = self._questions.pop((ref.channel_id, ref.thread_id), None)
        if question is None:
            return
        message_id, text = question
        try:
            await transport.retire_question(ref, message_id, text)
        except Exception:  # a question left with buttons is answered by the dialog if pressed; not worth failing for
            log.warning("could not retire the buttons of %s", message_id, exc_info=True)


class QueueRenderer(Protocol):
    """A platform's place-in-line text."""

    def __call__(self, position: int, wait_seconds: float, /) -> str:
        """The text for ``position`` in line and the expected wait."""
        ...
