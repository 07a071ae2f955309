"""Read-only queries a chat platform needs beside the dialog: is the bot in this thread, what was spent."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.db.tables import AnalysisRow, ConversationRow, LedgerEntryRow


class ThreadLookup:
    """Looks threads up without creating them (``ConversationRepository.open`` creates on first contact)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def state(self, ref: ThreadRef) -> dict[str, Any] | None:
        """The dialog state of a thread the bot already talks in, or None for a thread it is not part of."""
        query = select(ConversationRow.state).where(
            ConversationRow.platform == ref.platform,
            ConversationRow.workspace_id == ref.workspace_id,
            ConversationRow.channel_id == ref.channel_id,
            ConversationRow.thread_id == ref.thread_id,
        )
        row = (await self.session.execute(query)).first()
        return None if row is None else dict(row[0] or {})

    async def workspace_spend(self, workspace_id: str, since: datetime) -> Decimal:
        """Settled spend of the workspace's analyses created since ``since``."""
        query = (
            select(func.coalesce(func.sum(LedgerEntryRow.actual_usd), Decimal("0")))
            .join(AnalysisRow, AnalysisRow.id == LedgerEntryRow.analysis_id)
            .where(
                AnalysisRow.workspace_id == workspace_id,
                AnalysisRow.created_at >= since,
                LedgerEntryRow.status == "settled",
            )
        )
        return Decimal(str((await self.session.execute(query)).scalar_one()))
