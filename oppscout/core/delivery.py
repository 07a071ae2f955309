"""Delivery of analysis events to the conversation an analysis came from.

The worker publishes every event through one Notifier: a fan-out to Redis pub/sub (for the web
and the console) and to the ``ConversationNotifier``, which finds the analysis's thread and hands
the event to that platform's ``ThreadNotifier`` (Slack, Discord). Platforms post replies and edit
the one progress message in place; its id is kept in the conversation row between events.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from oppscout.core.db.database import Database
from oppscout.core.db.repositories.conversations import ConversationRepository
from oppscout.core.events import AnalysisEvent
from oppscout.core.ports import Notifier

log = logging.getLogger(__name__)


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
    """Routes events to the notifier of the platform the analysis was asked from."""

    def __init__(self, database: Database, platforms: dict[str, ThreadNotifier]) -> None:
        self.database = database
        self.platforms = platforms

    async def publish(self, event: AnalysisEvent) -> None:
        """Deliver one event to its thread, if its platform has a notifier here."""
        if not self.platforms:
            return
        async with self.database.unit_of_work() as session:
            row = await ConversationRepository(session).for_analysis(event.analysis_id)
        if row is None or row.platform not in self.platforms:
            return
        view = ThreadView(
            row.id, row.platform, row.workspace_id, row.channel_id, row.thread_id, row.user_id, row.progress_message_id
        )
        message_id = await self.platforms[row.platform].deliver(event, view)
        if message_id and message_id != row.progress_message_id:
            async with self.database.unit_of_work() as session:
                await ConversationRepository(session).set_progress_message(row.id, message_id)


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
