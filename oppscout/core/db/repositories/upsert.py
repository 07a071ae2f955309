"""Insert-if-absent across SQLite and PostgreSQL, so a retried write never stores a row twice."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


async def insert_ignoring_duplicates(
    session: AsyncSession, table: type[DeclarativeBase], rows: list[dict[str, Any]]
) -> int:
    """Insert ``rows`` skipping those that hit a unique constraint; returns how many were new."""
    if not rows:
        return 0
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).values(rows).on_conflict_do_nothing()
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)
