"""A whole analysis through the web: REST submit → a real worker → Socket.IO progress, cost and completion."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import socketio  # type: ignore[import-untyped]  # python-socketio ships no type information

from oppscout.core.analysis.engine import LocalEngine
from oppscout.jobs.sources.demo import DemoSource
from oppscout.jobs.worker import build_worker, stop_worker
from oppscout.runtime import Runtime
from tests.bot.web.conftest import WebEnv, request_json

WAIT = 120.0  # an upper bound for a loaded 2-core machine, never asserted on


async def test_a_submitted_analysis_streams_to_its_follower_until_completed(web: WebEnv) -> None:
    token = await web.token("e2e")
    received: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
    client = socketio.AsyncClient(reconnection=False)

    async def record(event: str, data: dict[str, Any]) -> None:
        await received.put((event, data))

    client.on("*", record)
    worker_runtime = await Runtime.open(web.server.settings)
    worker = build_worker(worker_runtime, source=DemoSource(), engine=LocalEngine(), handle_signals=False)
    worker_task: asyncio.Task[None] | None = None
    try:
        await client.connect(web.url, auth={"token": token}, transports=["websocket"], wait_timeout=30)
        async with httpx.AsyncClient(base_url=web.url, headers={"Authorization": f"Bearer {token}"}) as http:
            created = await http.post("/api/v1/analyses", json=request_json(subreddits=["smallbusiness", "freelance"]))
            assert created.status_code == 202
            analysis_id = created.json()["analysisId"]
            assert (await client.call("subscribe", {"analysisId": analysis_id}, timeout=30))["ok"] is True
            worker_task = asyncio.create_task(worker.async_run())

            kinds: list[str] = []
            while True:
                name, data = await asyncio.wait_for(received.get(), WAIT)
                assert name in (f"analysis-{analysis_id}", f"cost-{analysis_id}")
                assert data["analysisId"] == analysis_id
                kinds.append(data["type"])
                if data["type"] in ("completed", "failed", "cancelled"):
                    break
            assert kinds[-1] == "completed", kinds
            assert "stage" in kinds
            assert "progress" in kinds

            final = (await http.get(f"/api/v1/analyses/{analysis_id}")).json()
            assert final["status"] == "completed"
            assert final["results"]["engine"] == "local"
            jobs = (await http.get(f"/api/v1/analyses/{analysis_id}/jobs")).json()
            assert [j["type"] for j in jobs] == ["reddit-collection", "comment-processing", "ai-analysis"]
            assert {j["status"] for j in jobs} == {"completed"}
            assert (await http.get(f"/api/v1/analyses/{analysis_id}/progress")).json()["notices"] == []
    finally:
        if worker_task is not None:
            await stop_worker(worker, worker_task)
        await worker_runtime.close()
        await client.eio.disconnect(abort=True)
