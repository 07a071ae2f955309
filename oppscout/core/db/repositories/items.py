"""Queries about collected posts and comments."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oppscout.core.corpus import ItemKind, RedditItem
from oppscout.core.db.repositories.upsert import insert_ignoring_duplicates
from oppscout.core.db.tables import ItemRow


class ItemRepository:
    """Stores items once per analysis (a retried stage adds nothing new) and reads them back."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_many(self, analysis_id: str, items: Iterable[RedditItem]) -> int:
        """Store items not stored yet; returns how many were new."""
        rows = [{"analysis_id": analysis_id, **item.model_dump(mode="python")} for item in items]
        # Insert in chunks: SQLite limits the number of bound parameters in one statement.
        added = 0
        for start in range(0, len(rows), 200):
            added += await insert_ignoring_duplicates(self.session, ItemRow, rows[start : start + 200])
        return added

    async def list(self, analysis_id: str, kind: ItemKind | None = None) -> list[RedditItem]:
        """Items of an analysis, in the order they were stored."""
        query = select(ItemRow).where(ItemRow.analysis_id == analysis_id).order_by(ItemRow.id)
        if kind is not None:
            query = query.where(ItemRow.kind == kind)
        rows = (await self.session.execute(query)).scalars().all()
        return [
            RedditItem(
                kind=ItemKind(r.kind),
                reddit_id=r.reddit_id,
                subreddit=r.subreddit,
                author=r.author,
                title=r.title,
                body=r.body,
                score=r.score,
                num_comments=r.num_comments,
                created_at=r.created_at,
                permalink=r.permalink,
                post_id=r.post_id,
                parent_id=r.parent_id,
            )
            for r in rows
        ]

    async def count(self, analysis_id: str) -> dict[ItemKind, int]:
        """How many posts and comments an analysis has."""
        query = select(ItemRow.kind, func.count()).where(ItemRow.analysis_id == analysis_id).group_by(ItemRow.kind)
        counts = {ItemKind(kind): n for kind, n in (await self.session.execute(query)).all()}
        return {ItemKind.POST: counts.get(ItemKind.POST, 0), ItemKind.COMMENT: counts.get(ItemKind.COMMENT, 0)}
