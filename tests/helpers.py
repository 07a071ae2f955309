"""Small builders shared by tests."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from oppscout.core.contract import AnalysisRequest, AnalysisStatus, utcnow
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.tables import AnalysisRow

ALL_DEMO_SUBREDDITS = ["smallbusiness", "freelance", "SaaS", "Entrepreneur", "startups", "Accounting"]


def make_request(
    subreddits: list[str] | None = None,
    *,
    days: int = 30,
    max_cost: str = "2",
    keywords: list[str] | None = None,
    cost_threshold: str | None = None,
) -> AnalysisRequest:
    """A valid request over the demo subreddits."""
    now = utcnow()
    return AnalysisRequest.model_validate(
        {
            "subreddits": subreddits or ALL_DEMO_SUBREDDITS,
            "timeRange": {"start": now - timedelta(days=days), "end": now},
            "keywords": keywords,
            "maxCost": Decimal(max_cost),
            "notificationPreferences": {"costThreshold": cost_threshold},
        }
    )


async def insert_analysis(database: Database, request: AnalysisRequest) -> str:
    """Store an analysis row directly (no queue), returning its id."""
    analysis_id = uuid.uuid4().hex
    async with database.unit_of_work() as session:
        await AnalysisRepository(session).add(
            AnalysisRow(
                id=analysis_id,
                status=AnalysisStatus.QUEUED,
                request=request.model_dump(mode="json"),
                created_at=utcnow(),
                progress={},
            )
        )
    return analysis_id


def read_only_database(url: str) -> Database:
    """The database at ``url`` opened so that every read works and every commit fails, as on a full disk.

    SQLite: the file opened read-only. PostgreSQL: sessions whose transactions are read-only.
    """
    if url.startswith("sqlite"):
        return Database(f"sqlite+aiosqlite:///file:{url.split('///', 1)[1]}?mode=ro&uri=true")
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    database = Database(url)
    database.engine = create_async_engine(
        url, connect_args={"server_settings": {"default_transaction_read_only": "on"}}
    )
    database.sessions = async_sessionmaker(database.engine, expire_on_commit=False)
    return database
