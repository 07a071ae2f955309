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


def nulls_in(value: Any, path: str = "") -> list[str]:
    """Where a JSON value holds null: the contract's optional fields are omitted instead."""
    if value is None:
        return [path or "<root>"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in nulls_in(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in nulls_in(v, f"{path}[{i}]")]
    return []


async def test_a_submitted_analysis_streams_to_its_workspace_connection_until_completed(web: WebEnv) -> None:
    """Connected with a token and nothing else (the contract's client), the first event is not missed."""
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
        worker_task = asyncio.create_task(worker.async_run())
        async with httpx.AsyncClient(base_url=web.url, headers={"Authorization": f"Bearer {token}"}) as http:
            created = await http.post("/api/v1/analyses", json=request_json(subreddits=["smallbusiness", "freelance"]))
            assert created.status_code == 202
            assert nulls_in(created.json()) == []
            analysis_id = created.json()["analysisId"]

            kinds: list[str] = []
            percents: list[int] = []
            while True:
                name, data = await asyncio.wait_for(received.get(), WAIT)
                assert name in (f"analysis-{analysis_id}", f"cost-{analysis_id}")
                assert data["analysisId"] == analysis_id
                assert nulls_in(data) == [], data
                kinds.append(data["type"])
                if data["type"] == "progress":
                    percents.append(data["progress"]["percent"])
                if data["type"] in ("completed", "failed", "cancelled"):
                    break
            assert kinds[-1] == "completed", kinds
            # The very first event of the analysis reached a connection that never subscribed.
            assert kinds[0] == "stage", kinds
            assert "progress" in kinds
            # One percent for the whole analysis: it never goes back when a stage starts, and ends at 100.
            assert percents == sorted(percents) and percents[-1] == 100, percents

            final = (await http.get(f"/api/v1/analyses/{analysis_id}")).json()
            assert nulls_in(final) == []
            assert final["status"] == "completed"
            assert final["results"]["engine"] == "local"
            jobs = (await http.get(f"/api/v1/analyses/{analysis_id}/jobs")).json()
            assert [j["type"] for j in jobs] == ["reddit-collection", "comment-processing", "ai-analysis"]
            assert {j["status"] for j in jobs} == {"completed"}
            assert all(j["estimatedCompletion"] for j in jobs)
            polled = (await http.get(f"/api/v1/analyses/{analysis_id}/progress")).json()
            assert polled["notices"] == []
            assert (polled["stage"], polled["percent"], polled["retryCount"]) == ("ai-analysis", 100, 0)
    finally:
        if worker_task is not None:
            await stop_worker(worker, worker_task)
        await worker_runtime.close()
        await client.eio.disconnect(abort=True)
