"""Queries about conversations (chat threads) and the analyses started in them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.contract import utcnow
from oppscout.core.db.repositories.upsert import insert_ignoring_duplicates
from oppscout.core.db.tables import ConversationRow


@dataclass(frozen=True)
class ThreadRef:
    """Where a conversation happens: platform, workspace, channel, thread and the person."""

    platform: str
    workspace_id: str
    channel_id: str
    thread_id: str
    user_id: str


class ConversationRepository:
    """Reads and writes ``conversations`` inside the caller's unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open(self, ref: ThreadRef) -> ConversationRow:
        """The conversation of a thread, created on first contact."""
        now = utcnow()
        await insert_ignoring_duplicates(
            self.session,
            ConversationRow,
            [
                {
                    "platform": ref.platform,
                    "workspace_id": ref.workspace_id,
                    "channel_id": ref.channel_id,
                    "thread_id": ref.thread_id,
                    "user_id": ref.user_id,
                    "state": {},
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        query = select(ConversationRow).where(
            ConversationRow.platform == ref.platform,
            ConversationRow.workspace_id == ref.workspace_id,
            ConversationRow.channel_id == ref.channel_id,
            ConversationRow.thread_id == ref.thread_id,
        )
        return (await self.session.execute(query)).scalar_one()

    async def for_analysis(self, analysis_id: str) -> ConversationRow | None:
        """The conversation an analysis was started from."""
        query = select(ConversationRow).where(ConversationRow.analysis_id == analysis_id)
        return (await self.session.execute(query)).scalars().first()

    async def link_analysis(self, conversation_id: int, analysis_id: str) -> None:
        """Attach the newest analysis to its thread."""
        await self.session.execute(
            update(ConversationRow)
            .where(ConversationRow.id == conversation_id)
            .values(analysis_id=analysis_id, updated_at=utcnow())
        )

    async def save_state(self, conversation_id: int, state: dict[str, Any]) -> None:
        """Keep the dialog state of a thread (what was asked, what is missing)."""
        await self.session.execute(
            update(ConversationRow)
            .where(ConversationRow.id == conversation_id)
            .values(state=state, updated_at=utcnow())
        )

    async def set_progress_message(self, conversation_id: int, message_id: str) -> None:
        """Remember the one progress message to edit in place."""
        await self.session.execute(
            update(ConversationRow)
            .where(ConversationRow.id == conversation_id)
            .values(progress_message_id=message_id, updated_at=utcnow())
        )
