"""Queries about the outbox (DMs and emails waiting for delivery), its attempts, and users' email contacts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.db.repositories.upsert import insert_ignoring_duplicates
from oppscout.core.db.tables import ContactRow, OutboxAttemptRow, OutboxMessageRow

PENDING = "pending"
SENT = "sent"
UNDELIVERABLE = "undeliverable"


class OutboxRepository:
    """Reads and writes ``outbox``, ``outbox_attempts`` and ``contacts`` inside the caller's unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def enqueue(self, values: dict[str, Any], now: datetime) -> tuple[int, bool]:
        """Add a message unless its ``dedupe_key`` is already there; returns (id, whether it is new)."""
        row = {"status": PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now, **values}
        new = await insert_ignoring_duplicates(self.session, OutboxMessageRow, [row])
        query = select(OutboxMessageRow.id).where(OutboxMessageRow.dedupe_key == values["dedupe_key"])
        return (await self.session.execute(query)).scalar_one(), bool(new)

    async def get(self, message_id: int) -> OutboxMessageRow | None:
        """One message by id."""
        return await self.session.get(OutboxMessageRow, message_id)

    async def by_key(self, dedupe_key: str) -> OutboxMessageRow | None:
        """One message by its dedupe key."""
        query = select(OutboxMessageRow).where(OutboxMessageRow.dedupe_key == dedupe_key)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def due_ids(self, now: datetime, limit: int) -> list[int]:
        """Pending messages whose next try is due and that nobody holds a lease on."""
        query = (
            select(OutboxMessageRow.id)
            .where(
                OutboxMessageRow.status == PENDING,
                OutboxMessageRow.next_attempt_at <= now,
                or_(OutboxMessageRow.lease_until.is_(None), OutboxMessageRow.lease_until <= now),
            )
            .order_by(OutboxMessageRow.next_attempt_at, OutboxMessageRow.id)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars().all())

    async def lease(self, message_id: int, now: datetime, until: datetime) -> OutboxMessageRow | None:
        """Take a pending, due message for one delivery try; None when another worker holds it."""
        result = await self.session.execute(
            update(OutboxMessageRow)
            .where(
                OutboxMessageRow.id == message_id,
                OutboxMessageRow.status == PENDING,
                OutboxMessageRow.next_attempt_at <= now,
                or_(OutboxMessageRow.lease_until.is_(None), OutboxMessageRow.lease_until <= now),
            )
            .values(lease_until=until, attempts=OutboxMessageRow.attempts + 1)
        )
        if not getattr(result, "rowcount", 0):
            return None
        return await self.session.get(OutboxMessageRow, message_id, populate_existing=True)

    async def record_attempt(
        self,
        message_id: int,
        attempt: int,
        now: datetime,
        *,
        error: str | None,
        status: str,
        next_attempt_at: datetime | None = None,
    ) -> None:
        """Record how one try went and move the message on (sent, retried later, or undeliverable)."""
        self.session.add(
            OutboxAttemptRow(message_id=message_id, attempt=attempt, at=now, ok=error is None, error=error)
        )
        values: dict[str, Any] = {"status": status, "lease_until": None, "last_error": error}
        if status != PENDING:
            values["finished_at"] = now
        if next_attempt_at is not None:
            values["next_attempt_at"] = next_attempt_at
        await self.session.execute(update(OutboxMessageRow).where(OutboxMessageRow.id == message_id).values(**values))

    async def attempts(self, message_id: int) -> Sequence[OutboxAttemptRow]:
        """Every try at one message, in order."""
        query = select(OutboxAttemptRow).where(OutboxAttemptRow.message_id == message_id).order_by(OutboxAttemptRow.id)
        return (await self.session.execute(query)).scalars().all()

    async def list_all(self) -> Sequence[OutboxMessageRow]:
        """Every message, oldest first (for reports and tests)."""
        return (await self.session.execute(select(OutboxMessageRow).order_by(OutboxMessageRow.id))).scalars().all()

    # ---- contacts ----------------------------------------------------------------------------

    async def set_email(self, platform: str, workspace_id: str, user_id: str, email: str, now: datetime) -> None:
        """Remember (or change) where to email a chat user."""
        inserted = await insert_ignoring_duplicates(
            self.session,
            ContactRow,
            [
                {
                    "platform": platform,
                    "workspace_id": workspace_id,
                    "user_id": user_id,
                    "email": email,
                    "updated_at": now,
                }
            ],
        )
        if not inserted:
            await self.session.execute(
                update(ContactRow)
                .where(
                    ContactRow.platform == platform,
                    ContactRow.workspace_id == workspace_id,
                    ContactRow.user_id == user_id,
                )
                .values(email=email, updated_at=now)
            )

    async def email_of(self, platform: str, workspace_id: str, user_id: str) -> str | None:
        """The email address of a chat user, when they gave one."""
        query = select(ContactRow.email).where(
            ContactRow.platform == platform, ContactRow.workspace_id == workspace_id, ContactRow.user_id == user_id
        )
        return (await self.session.execute(query)).scalar_one_or_none()
