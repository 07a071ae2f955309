"""/health tells a database that answers but cannot write (a full disk, a read-only mount) from a healthy one."""

from __future__ import annotations

from pathlib import Path

import httpx

from oppscout.bot.web.app import create_app
from oppscout.core.db.database import Database
from oppscout.runtime import Runtime
from tests.bot.web.conftest import web_settings_for


async def test_a_database_that_refuses_writes_is_reported_degraded_then_healthy_again(
    tmp_path: Path, clean_redis: str
) -> None:
    settings = web_settings_for(tmp_path, clean_redis)
    runtime = await Runtime.open(settings)
    path = settings.resolved_database_url.split("///", 1)[1]
    # The same file opened read-only: every read works, every commit fails, as on a disk that filled up.
    read_only = Database(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")
    writable = runtime.database
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(runtime)), base_url="http://testserver"
        ) as client:
            runtime.database = read_only
            refused = (await client.get("/api/v1/health")).json()["components"]["database"]
            runtime.database = writable
            healthy = (await client.get("/api/v1/health")).json()["components"]["database"]
    finally:
        runtime.database = writable
        await read_only.close()
        await runtime.close()
    assert refused["status"] == "degraded"
    assert "writes fail" in refused["detail"]
    assert healthy["status"] == "healthy"
