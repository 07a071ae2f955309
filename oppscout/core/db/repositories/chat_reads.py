"""Charges for reading chat messages with the LLM, per workspace and person."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.db.repositories.upsert import insert_ignoring_duplicates
from oppscout.core.db.tables import ChatReadChargeRow

ZERO = Decimal("0")


class ChatReadRepository:
    """Records and sums chat read charges inside the caller's unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def charge(
        self,
        workspace_id: str,
        user_id: str | None,
        key: str,
        usd: Decimal,
        *,
        tokens_in: int,
        tokens_out: int,
        now: datetime,
    ) -> None:
        """Record one read; the same ``key`` (a redelivered message) is recorded once."""
        await insert_ignoring_duplicates(
            self.session,
            ChatReadChargeRow,
            [
                {
                    "workspace_id": workspace_id,
                    "user_id": user_id,
                    "key": key,
                    "usd": usd,
                    "tokens_in": tokens_in,
                    "tokens_out": tokens_out,
                    "created_at": now,
                }
            ],
        )

    async def by_user_between(self, workspace_id: str, start: datetime, end: datetime) -> dict[str | None, Decimal]:
        """What reading messages cost in [start, end), by person."""
        query = (
            select(ChatReadChargeRow.user_id, func.coalesce(func.sum(ChatReadChargeRow.usd), ZERO))
            .where(
                ChatReadChargeRow.workspace_id == workspace_id,
                ChatReadChargeRow.created_at >= start,
                ChatReadChargeRow.created_at < end,
            )
            .group_by(ChatReadChargeRow.user_id)
        )
        return {user: Decimal(str(total)) for user, total in (await self.session.execute(query)).all()}
