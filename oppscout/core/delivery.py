"""Delivery of analysis events to the conversation an analysis came from.

The worker publishes every event through one Notifier: a fan-out to Redis pub/sub (for the web
and the console) and to the ``ConversationNotifier``, which finds the analysis's thread and hands
the event to that platform's ``ThreadNotifier`` (Slack, Discord). Platforms post replies and edit
the one progress message in place; its id is kept in the conversation row between events.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from oppscout.core.db.database import Database
from oppscout.core.db.repositories.conversations import ConversationRepository, is_claim
from oppscout.core.events import AnalysisEvent
from oppscout.core.ports import Notifier

log = logging.getLogger(__name__)

# How often a notifier waiting for another's claim looks whether the progress message was posted.
CLAIM_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class ThreadView:
    """Where to post for one analysis."""

    conversation_id: int
    platform: str
    workspace_id: str
    channel_id: str
    thread_id: str
    user_id: str
    progress_message_id: str | None


class ThreadNotifier(Protocol):
    """A platform's way of showing analysis events in a thread."""

    async def deliver(self, event: AnalysisEvent, thread: ThreadView) -> str | None:
        """Show one event; return the id of the progress message when one was created."""
        ...


class ConversationNotifier:
    """Routes events to the notifier of the platform the analysis was asked from.

    The analysis's one progress message is claimed in the database before anyone posts it (see
    ``ConversationRepository.claim_progress_message``): when the bot holds the claim, the event waits
    for the message it is posting and edits that one, so there is never a second progress message.
    """

    def __init__(
        self, database: Database, platforms: dict[str, ThreadNotifier], *, claim_wait_seconds: float = 10.0
    ) -> None:
        self.database = database
        self.platforms = platforms
        self.claim_wait_seconds = claim_wait_seconds

    async def publish(self, event: AnalysisEvent) -> None:
        """Deliver one event to its thread, if its platform has a notifier here."""
        if not self.platforms:
            return
        async with self.database.unit_of_work() as session:
            row = await ConversationRepository(session).for_analysis(event.analysis_id)
        if row is None or row.platform not in self.platforms:
            return
        message_id, token = await self._progress_message(event.analysis_id, row.progress_message_id)
        view = ThreadView(
            row.id, row.platform, row.workspace_id, row.channel_id, row.thread_id, row.user_id, message_id
        )
        try:
            created = await self.platforms[row.platform].deliver(event, view)
        except BaseException:
            if token is not None:
                await self._settle(event.analysis_id, token, None)
            raise
        if token is not None:
            # An event that posts no progress message (a cost warning) frees the claim for the next one.
            await self._settle(event.analysis_id, token, created)
        elif created and created != message_id:
            async with self.database.unit_of_work() as session:
                await ConversationRepository(session).set_progress_message(row.id, created)

    async def _progress_message(self, analysis_id: str, stored: str | None) -> tuple[str | None, str | None]:
        """The progress message to edit, or (None, token) when this call holds the claim to post it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.claim_wait_seconds
        current = stored
        while True:
            if current is None:
                token = secrets.token_hex(8)
                async with self.database.unit_of_work() as session:
                    if await ConversationRepository(session).claim_progress_message(analysis_id, token):
                        return None, token
            elif not is_claim(current):
                return current, None
            elif loop.time() >= deadline:
                # The claimant never posted (its process died): take the claim over rather than go silent.
                token = secrets.token_hex(8)
                async with self.database.unit_of_work() as session:
                    if await ConversationRepository(session).take_over_progress_message(analysis_id, current, token):
                        log.warning(
                            "progress message claim expired; posting a new one", extra={"analysis_id": analysis_id}
                        )
                        return None, token
            else:
                await asyncio.sleep(CLAIM_POLL_SECONDS)
            async with self.database.unit_of_work() as session:
                current = await ConversationRepository(session).progress_message_of(analysis_id)

    async def _settle(self, analysis_id: str, token: str, message_id: str | None) -> None:
        async with self.database.unit_of_work() as session:
            await ConversationRepository(session).settle_progress_message(analysis_id, token, message_id)


class FanoutNotifier:
    """Publishes each event to several notifiers; one failing never stops the others."""

    def __init__(self, notifiers: Sequence[Notifier]) -> None:
        self.notifiers = list(notifiers)

    async def publish(self, event: AnalysisEvent) -> None:
        """Publish to every notifier in order."""
        for notifier in self.notifiers:
            try:
                await notifier.publish(event)
            except Exception:  # a platform outage must not fail the analysis
                log.exception("notifier %s failed", type(notifier).__name__, extra={"analysis_id": event.analysis_id})


class DirectMessenger(Protocol):
    """A platform's way of sending one person a direct message (alerts, cost DMs)."""

    async def send_dm(self, workspace_id: str, user_id: str, text: str) -> None:
        """Send ``text`` to the person; raises DeliveryError when it cannot be delivered."""
        ...
