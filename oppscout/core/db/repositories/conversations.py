"""Queries about conversations (chat threads) and the analyses started in them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.contract import utcnow
from oppscout.core.db.repositories.upsert import insert_ignoring_duplicates
from oppscout.core.db.tables import ConversationRow

# A progress message id that starts with this is a claim: someone is posting the message right now.
CLAIM_PREFIX = "claim:"


def is_claim(message_id: str | None) -> bool:
    """Whether a stored progress message id is a claim still being posted."""
    return message_id is not None and message_id.startswith(CLAIM_PREFIX)


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
        """Attach the newest analysis to its thread; it gets its own progress message, none claimed yet."""
        await self.session.execute(
            update(ConversationRow)
            .where(ConversationRow.id == conversation_id)
            .values(analysis_id=analysis_id, progress_message_id=None, updated_at=utcnow())
        )

    async def claim_progress_message(self, analysis_id: str, token: str) -> bool:
        """Claim the right to post the analysis's one progress message; True for exactly one claimant.

        A conditional update, so the bot (showing the place in line) and any worker (showing its first
        event) can race freely: whoever wins posts and then ``settle_progress_message``; the others
        wait for the settled id and edit that message.
        """
        result = await self.session.execute(
            update(ConversationRow)
            .where(ConversationRow.analysis_id == analysis_id, ConversationRow.progress_message_id.is_(None))
            .values(progress_message_id=CLAIM_PREFIX + token, updated_at=utcnow())
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def settle_progress_message(self, analysis_id: str, token: str, message_id: str | None) -> None:
        """Replace the claim with the id of the message posted (None: nothing was posted, the claim is freed)."""
        await self.session.execute(
            update(ConversationRow)
            .where(
                ConversationRow.analysis_id == analysis_id, ConversationRow.progress_message_id == CLAIM_PREFIX + token
            )
            .values(progress_message_id=message_id, updated_at=utcnow())
        )

    async def take_over_progress_message(self, analysis_id: str, stale: str, token: str) -> bool:
        """Take a claim whose holder never settled it (it crashed); True when this caller now holds it."""
        result = await self.session.execute(
            update(ConversationRow)
            .where(ConversationRow.analysis_id == analysis_id, ConversationRow.progress_message_id == stale)
            .values(progress_message_id=CLAIM_PREFIX + token, updated_at=utcnow())
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def progress_message_of(self, analysis_id: str) -> str | None:
        """The analysis's progress message id, a ``claim:`` marker while it is being posted, or None."""
        query = select(ConversationRow.progress_message_id).where(ConversationRow.analysis_id == analysis_id)
        return (await self.session.execute(query)).scalars().first()

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
