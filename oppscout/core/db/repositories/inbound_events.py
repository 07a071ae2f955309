"""Queries about inbound events already handled (idempotency keys)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.contract import utcnow
from oppscout.core.db.repositories.upsert import insert_ignoring_duplicates
from oppscout.core.db.tables import InboundEventRow


class InboundEventRepository:
    """Remembers which platform deliveries were handled, so a redelivery does nothing twice."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def remember(self, key: str, analysis_id: str | None = None) -> bool:
        """Record ``key``; True the first time it is seen, False on every redelivery."""
        added = await insert_ignoring_duplicates(
            self.session, InboundEventRow, [{"key": key, "received_at": utcnow(), "analysis_id": analysis_id}]
        )
        return added == 1

    async def analysis_for(self, key: str) -> str | None:
        """The analysis a handled event started, if any."""
        query = select(InboundEventRow.analysis_id).where(InboundEventRow.key == key)
        return (await self.session.execute(query)).scalar_one_or_none()
