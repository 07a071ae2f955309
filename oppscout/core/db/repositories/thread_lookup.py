"""Read-only queries about chat threads: is the bot part of this thread, and where does its dialog stand."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.db.tables import ConversationRow


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
