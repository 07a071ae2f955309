"""Queries about 👍/👎 feedback on opportunities."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.contract import utcnow
from oppscout.core.db.repositories.upsert import insert_ignoring_duplicates
from oppscout.core.db.tables import FeedbackRow


class FeedbackRepository:
    """Stores one vote per person and opportunity; voting again changes the vote."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, analysis_id: str, rank: int, title: str, platform: str, user_id: str, vote: int) -> None:
        """Record a vote of +1 or -1."""
        row = {
            "analysis_id": analysis_id,
            "rank": rank,
            "title": title,
            "platform": platform,
            "user_id": user_id,
            "vote": 1 if vote > 0 else -1,
            "created_at": utcnow(),
        }
        if not await insert_ignoring_duplicates(self.session, FeedbackRow, [row]):
            await self.session.execute(
                update(FeedbackRow)
                .where(
                    FeedbackRow.analysis_id == analysis_id,
                    FeedbackRow.rank == rank,
                    FeedbackRow.platform == platform,
                    FeedbackRow.user_id == user_id,
                )
                .values(vote=row["vote"], created_at=row["created_at"])
            )

    async def tally(self, analysis_id: str) -> dict[int, tuple[int, int]]:
        """Per opportunity rank: (👍 count, 👎 count)."""
        query = (
            select(FeedbackRow.rank, FeedbackRow.vote, func.count())
            .where(FeedbackRow.analysis_id == analysis_id)
            .group_by(FeedbackRow.rank, FeedbackRow.vote)
        )
        tally: dict[int, tuple[int, int]] = {}
        for rank, vote, count in (await self.session.execute(query)).all():
            up, down = tally.get(rank, (0, 0))
            tally[rank] = (up + count, down) if vote > 0 else (up, down + count)
        return tally
