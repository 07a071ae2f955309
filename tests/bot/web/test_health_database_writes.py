"""/health tells a database that answers but cannot write (a full disk, a read-only mount) from a healthy one."""

from __future__ import annotations

from pathlib import Path

import httpx

from oppscout.bot.web.app import create_app
from oppscout.runtime import Runtime
from tests.bot.web.conftest import web_settings_for
from tests.helpers import read_only_database


async def test_a_database_that_refuses_writes_is_reported_degraded_then_healthy_again(
    tmp_path: Path, clean_redis: str
) -> None:
    settings = web_settings_for(tmp_path, clean_redis)
    runtime = await Runtime.open(settings)
    # The same database opened so that every read works and every commit fails, as on a disk that filled up.
    read_only = read_only_database(settings.resolved_database_url)
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
