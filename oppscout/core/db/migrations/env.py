"""Alembic environment: runs on the connection handed over by ``Database.migrate`` or the CLI."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from oppscout.core.db.tables import Base

target_metadata = Base.metadata


def run() -> None:
    """Run migrations on the given connection, or on ``sqlalchemy.url`` for offline tooling."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.config.get_main_option("sqlalchemy.url") or "sqlite:///.oppscout/oppscout.db"
    engine = create_engine(url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg"))
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
