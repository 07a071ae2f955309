"""The outbox: DMs and emails are stored first and delivered after, so an alert is never lost.

A message is written in the same unit of work as the decision to send it (an alert, a cost
warning). The dispatcher then takes due messages one at a time under a lease (a conditional
update, so two workers never send the same try), hands each to the messenger of its channel
and records the attempt. A temporary failure is retried with exponential backoff; a permanent
one, or too many tries, marks the message undeliverable and, for DMs, reports it in the channel
the alert belongs to instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.contract import utcnow
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.outbox import PENDING, SENT, UNDELIVERABLE, OutboxRepository
from oppscout.core.delivery import DirectMessenger
from oppscout.core.errors import DeliveryError
from oppscout.core.settings import Settings

log = logging.getLogger(__name__)

EMAIL = "email"
THREAD_RECIPIENT = ""
"""The recipient of a message that is posted in its ``report_*`` thread instead of sent as a DM."""
REPORTED = "reported"
# A try that has not finished after this long is assumed lost (worker died) and may be retried.
LEASE = timedelta(minutes=2)
Clock = Callable[[], datetime]


@runtime_checkable
class ChannelPoster(Protocol):
    """A platform's way of posting in a channel or thread, used when a DM cannot be delivered."""

    async def post_in_channel(
        self, workspace_id: str, channel_id: str, thread_id: str | None, text: str, *, mention_user_id: str | None
    ) -> None:
        """Post ``text`` in the thread (or channel), addressed to ``mention_user_id`` when given."""
        ...


def posters_of(messengers: Mapping[str, DirectMessenger]) -> dict[str, ChannelPoster]:
    """The messengers that can also post in a channel (to report a DM that could not be delivered)."""
    return {name: m for name, m in messengers.items() if isinstance(m, ChannelPoster)}


@dataclass(frozen=True)
class Draft:
    """A message to deliver: ``channel`` is a chat platform (a DM to ``recipient``, a user id) or ``email``.

    ``dedupe_key`` makes enqueueing idempotent: a retried job that drafts the same message adds nothing.
    ``report_*`` say where to explain a DM that cannot be delivered; a draft addressed to
    ``THREAD_RECIPIENT`` is posted there instead of sent as a DM.
    """

    dedupe_key: str
    channel: str
    workspace_id: str
    recipient: str
    text: str
    report_channel_id: str | None = None
    report_thread_id: str | None = None
    report_user_id: str | None = None


async def enqueue(session: AsyncSession, draft: Draft, now: datetime) -> int | None:
    """Add a draft inside the caller's unit of work; returns its id when it is new, None when it was there."""
    report_platform = draft.channel if draft.channel != EMAIL and draft.report_channel_id else None
    message_id, new = await OutboxRepository(session).enqueue(
        {
            "dedupe_key": draft.dedupe_key[:200],
            "channel": draft.channel,
            "workspace_id": draft.workspace_id,
            "recipient": draft.recipient,
            "text": draft.text,
            "report_platform": report_platform,
            "report_channel_id": draft.report_channel_id,
            "report_thread_id": draft.report_thread_id,
            "report_user_id": draft.report_user_id or (draft.recipient if report_platform else None),
        },
        now,
    )
    return message_id if new else None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a message is retried."""

    max_attempts: int = 6
    backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(hours=1)

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """The policy configured in settings."""
        return cls(
            settings.outbox_max_attempts,
            timedelta(seconds=settings.outbox_backoff_seconds),
            timedelta(seconds=settings.outbox_max_backoff_seconds),
        )

    def delay(self, attempt: int) -> timedelta:
        """The wait after the ``attempt``-th failed try (1-based): doubling, capped."""
        return min(self.max_backoff, self.backoff * int(2 ** max(0, attempt - 1)))


@dataclass
class DispatchResult:
    """What one dispatch pass did, by outcome."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    undeliverable: list[int] = field(default_factory=list)


class OutboxDispatcher:
    """Delivers due outbox messages through the messengers of their channels."""

    def __init__(
        self,
        database: Database,
        messengers: Mapping[str, DirectMessenger],
        *,
        posters: Mapping[str, ChannelPoster] | None = None,
        policy: RetryPolicy | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.database = database
        self.messengers = dict(messengers)
        self.posters = dict(posters or {})
        self.policy = policy or RetryPolicy()
        self.clock = clock

    async def dispatch_due(self, limit: int = 100) -> DispatchResult:
        """Try every message that is due now (up to ``limit``)."""
        async with self.database.unit_of_work() as session:
            ids = await OutboxRepository(session).due_ids(self.clock(), limit)
        return await self.dispatch(ids)

    async def dispatch(self, message_ids: Sequence[int]) -> DispatchResult:
        """Try these messages now, those of them that are due and not held by another worker."""
        result = DispatchResult()
        for message_id in message_ids:
            outcome = await self._try(message_id)
            if outcome == SENT:
                result.sent.append(message_id)
            elif outcome == PENDING:
                result.retrying.append(message_id)
            elif outcome is not None:
                result.undeliverable.append(message_id)
        return result

    async def _try(self, message_id: int) -> str | None:
        now = self.clock()
        async with self.database.unit_of_work() as session:
            row = await OutboxRepository(session).lease(message_id, now, now + LEASE)
        if row is None:
            return None
        error: str | None = None
        permanent = False
        messenger = self.messengers.get(row.channel)
        try:
            if row.recipient == THREAD_RECIPIENT:
                await self._post_in_thread(row)
            elif messenger is None:
                raise DeliveryError(f"{row.channel} messages cannot be sent from here.", permanent=True)
            else:
                await messenger.send_dm(row.workspace_id, row.recipient, row.text)
        except DeliveryError as exc:
            error, permanent = exc.message, exc.permanent
        except Exception as exc:  # an unexpected failure is retried like a platform outage
            log.warning("delivery of outbox message %s failed", message_id, exc_info=exc)
            error = f"{type(exc).__name__}: {exc}"
        done = self.clock()
        if error is None:
            status, retry_at = SENT, None
        elif not permanent and row.attempts < self.policy.max_attempts:
            status, retry_at = PENDING, done + self.policy.delay(row.attempts)
        else:
            status, retry_at = UNDELIVERABLE, None
        if status == UNDELIVERABLE and await self._report(row, error or ""):
            status = REPORTED
        async with self.database.unit_of_work() as session:
            await OutboxRepository(session).record_attempt(
                message_id, row.attempts, done, error=error, status=status, next_attempt_at=retry_at
            )
        if status != SENT:
            log.info("outbox message %s: %s after try %s (%s)", message_id, status, row.attempts, error)
        return status

    async def _post_in_thread(self, row: _Reportable) -> None:
        poster = self.posters.get(row.report_platform or "")
        if poster is None or not row.report_channel_id:
            raise DeliveryError(f"{row.report_platform} threads cannot be posted in from here.", permanent=True)
        await poster.post_in_channel(
            row.workspace_id, row.report_channel_id, row.report_thread_id, row.text, mention_user_id=row.report_user_id
        )

    async def _report(self, row: _Reportable, error: str) -> bool:
        poster = self.posters.get(row.report_platform or "")
        if poster is None or not row.report_channel_id or row.recipient == THREAD_RECIPIENT:
            return False
        text = f"I couldn't send you this alert as a direct message ({error.rstrip('.')}), so here it is:\n\n{row.text}"
        try:
            await poster.post_in_channel(
                row.workspace_id, row.report_channel_id, row.report_thread_id, text, mention_user_id=row.report_user_id
            )
        except Exception as exc:  # the channel may refuse us too; the message stays undeliverable
            log.warning("could not report undeliverable message in %s", row.report_channel_id, exc_info=exc)
            return False
        return True


class _Reportable(Protocol):
    workspace_id: str
    recipient: str
    text: str
    report_platform: str | None
    report_channel_id: str | None
    report_thread_id: str | None
    report_user_id: str | None


@dataclass
class ConsoleMessenger:
    """DMs for the console: printed (when ``echo``) and kept in ``sent`` so a session can show them."""

    echo: Callable[[str], None] | None = print
    sent: list[tuple[str, str, str]] = field(default_factory=list)
    posted: list[tuple[str, str, str]] = field(default_factory=list)
    """Messages posted in the conversation (channel, mentioned user, text), apart from DMs."""

    async def send_dm(self, workspace_id: str, user_id: str, text: str) -> None:
        """Record (and print) the message."""
        self.sent.append((workspace_id, user_id, text))
        if self.echo is not None:
            self.echo(f"[direct message to {user_id}] {text}")

    async def post_in_channel(
        self, workspace_id: str, channel_id: str, thread_id: str | None, text: str, *, mention_user_id: str | None
    ) -> None:
        """The console has one conversation: the message is printed there."""
        self.posted.append((channel_id, mention_user_id or "", text))
        if self.echo is not None:
            self.echo(text)
