"""Health, feature flags and graceful degradation: what the API says matches what is up right now."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from oppscout.bot.web.app import create_app
from oppscout.core.db.repositories.api_tokens import ApiTokenRepository
from oppscout.core.health import Component, ComponentHealth, ComponentState, component_report_key
from oppscout.core.settings import Settings
from oppscout.jobs.queue import WORKER_KEY_PREFIX
from oppscout.runtime import Runtime
from tests.bot.web.conftest import request_json, web_settings_for
from tests.bot.web.fake_http import closed_port_url, fake_upstream


@asynccontextmanager
async def api(settings: Settings, **create: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime, str]]:
    """The app on ``settings`` behind an in-process ASGI transport, its runtime, and a token."""
    runtime = await Runtime.open(settings)
    try:
        async with runtime.database.unit_of_work() as session:
            token = (await ApiTokenRepository(session).create("health")).secret
        app = create_app(runtime, **create)
        transport = httpx.ASGITransport(app=app)
        # The ASGI transport runs no lifespan: start the Socket.IO relay as `oppscout web` does.
        await app.relay.start()
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                client.headers["Authorization"] = f"Bearer {token}"
                yield client, runtime, token
        finally:
            await app.relay.stop()
    finally:
        await runtime.close()


def states(body: dict[str, Any]) -> dict[str, str]:
    return {name: c["status"] for name, c in body["components"].items()}


async def test_default_deployment_reports_each_part_honestly(tmp_path: Path, clean_redis: str) -> None:
    async with api(web_settings_for(tmp_path, clean_redis)) as (client, _, _):
        health = await client.get("/api/v1/health")
        features = (await client.get("/api/v1/features")).json()
    assert health.status_code == 200
    body = health.json()
    # The contract's services first, each in its three states; parts not used here (Slack, Discord, an LLM)
    # are left out instead of given a fourth state.
    assert states(body) == {
        "reddit-api": "healthy",  # the demo data set is the post source, and it works
        "ai-processor": "healthy",  # transcription works; no LLM is configured
        "payment-service": "healthy",  # the spend ledger answers
        "websocket-service": "healthy",  # the relay's Redis subscription is live
        "database": "healthy",
        "queue": "degraded",  # Redis answers, but no worker runs
        "transcriber": "healthy",  # faster-whisper and tiny.en are installed
    }
    assert body["components"]["reddit-api"]["configured"] is False
    assert "demo" in body["components"]["reddit-api"]["detail"]
    assert body["status"] == "degraded"
    assert "no worker running" in body["components"]["queue"]["detail"]
    assert {k: features[k] for k in ("voiceInterface", "realtimeUpdates", "paymentProcessing", "constellationMap")} == {
        "voiceInterface": True,
        "realtimeUpdates": True,
        "paymentProcessing": True,
        "constellationMap": True,
    }
    assert features["analysisSubmission"] is True
    assert features["llmSynthesis"] is False
    assert features["localAnalysis"] is True
    assert features["liveReddit"] is False
    assert features["messages"] == {
        "llmSynthesis": "No LLM is configured, so analyses run on the local engine at no cost."
    }


async def test_a_live_worker_makes_the_queue_healthy(tmp_path: Path, clean_redis: str) -> None:
    async with api(web_settings_for(tmp_path, clean_redis)) as (client, runtime, _):
        assert (await client.get("/api/v1/queue")).json() == {"waiting": 0, "availableWorkers": 0, "totalWorkers": 0}
        assert (await client.post("/api/v1/analyses", json=request_json())).status_code == 202
        # The heartbeat a worker writes every few seconds (see jobs.worker).
        await runtime.redis.set(WORKER_KEY_PREFIX + "w1", json.dumps({"running": 1, "concurrency": 4}), ex=15)
        body = (await client.get("/api/v1/health")).json()
        assert body["components"]["queue"]["status"] == "healthy"
        assert "1 worker(s), 1 with a free slot" in body["components"]["queue"]["detail"]
        overview = (await client.get("/api/v1/queue")).json()
        assert overview == {"waiting": 1, "availableWorkers": 1, "totalWorkers": 1}
        await runtime.redis.delete(WORKER_KEY_PREFIX + "w1")
        assert (await client.get("/api/v1/health")).json()["components"]["queue"]["status"] == "degraded"


async def test_llm_health_follows_the_endpoint_up_refusing_and_gone(tmp_path: Path, clean_redis: str) -> None:
    async with fake_upstream() as llm:
        settings = web_settings_for(
            tmp_path, clean_redis, openai_base_url=llm.url + "/v1", openai_api_key="sk-test-key"
        )
        async with api(settings) as (client, _, _):
            up = (await client.get("/api/v1/health")).json()["components"]["ai-processor"]
            assert up["status"] == "healthy" and "llm: answers" in up["detail"]
            assert llm.seen[-1] == ("/v1/models", "Bearer sk-test-key")
            assert (await client.get("/api/v1/features")).json()["llmSynthesis"] is True

            llm.status = 401
            components = (await client.get("/api/v1/health")).json()["components"]
            refused = components["llm"]
            assert refused["status"] == "down"
            assert "credentials refused" in refused["detail"]
            assert "sk-test-key" not in json.dumps(components)
            # Transcription still works, so the ai-processor as a whole is degraded, and voice is off by the contract.
            assert components["ai-processor"]["status"] == "degraded"
            assert (await client.get("/api/v1/features")).json()["voiceInterface"] is False

            llm.status = 503
            features = (await client.get("/api/v1/features")).json()
            assert features["llmSynthesis"] is False
            assert "run on the local engine" in features["messages"]["llmSynthesis"]
            created = await client.post("/api/v1/analyses", json=request_json())
            assert created.status_code == 202
            assert "run on the local engine" in created.json()["progress"]["message"]
            progress = (await client.get(f"/api/v1/analyses/{created.json()['analysisId']}/progress")).json()
            assert any("local engine" in n for n in progress["notices"])


async def test_reddit_down_keeps_requests_queued_and_says_so(tmp_path: Path, clean_redis: str) -> None:
    settings = web_settings_for(
        tmp_path,
        clean_redis,
        source="reddit",
        reddit_client_id="id",
        reddit_client_secret="secret",
        reddit_url=closed_port_url(),
    )
    async with api(settings) as (client, _, _):
        health = (await client.get("/api/v1/health")).json()
        assert health["components"]["reddit-api"]["status"] == "down"
        assert health["status"] == "degraded"
        features = (await client.get("/api/v1/features")).json()
        assert features["liveReddit"] is False
        assert features["analysisSubmission"] is True
        created = await client.post("/api/v1/analyses", json=request_json())
        assert created.status_code == 202
        assert created.json()["status"] == "queued"
        assert created.json()["progress"]["message"].startswith("Reddit cannot be reached right now")


async def test_reddit_reachable_is_healthy(tmp_path: Path, clean_redis: str) -> None:
    async with fake_upstream() as reddit:
        settings = web_settings_for(
            tmp_path,
            clean_redis,
            source="reddit",
            reddit_client_id="id",
            reddit_client_secret="s",
            reddit_url=reddit.url,
        )
        async with api(settings) as (client, _, _):
            health = (await client.get("/api/v1/health")).json()
    assert health["components"]["reddit-api"]["status"] == "healthy"
    assert reddit.seen[0][0] == "/api/v1/access_token"


async def test_a_transcriber_reported_down_turns_voice_off_with_the_message(tmp_path: Path, clean_redis: str) -> None:
    async with api(web_settings_for(tmp_path, clean_redis)) as (client, runtime, _):
        report = ComponentHealth(
            name=Component.TRANSCRIBER, status=ComponentState.DOWN, detail="model failed to load", reported_by="bot"
        )
        await runtime.redis.set(component_report_key(Component.TRANSCRIBER), report.model_dump_json(), ex=60)
        health = (await client.get("/api/v1/health")).json()
        features = (await client.get("/api/v1/features")).json()
        assert health["components"]["transcriber"]["status"] == "down"
        assert health["components"]["transcriber"]["reportedBy"] == "bot"
        assert features["voiceInterface"] is False
        assert features["messages"]["voiceInterface"] == "Voice is unavailable right now, please type your request."

        # The report expires or is replaced: voice comes back without restarting anything.
        await runtime.redis.delete(component_report_key(Component.TRANSCRIBER))
        assert (await client.get("/api/v1/features")).json()["voiceInterface"] is True


async def test_redis_down_means_service_down_but_analyses_are_still_saved(tmp_path: Path, clean_redis: str) -> None:
    dead_redis = closed_port_url().replace("http://", "redis://")
    async with api(web_settings_for(tmp_path, dead_redis)) as (client, _, _):
        health = await client.get("/api/v1/health")
        assert health.status_code == 503
        assert health.json()["status"] == "down"
        assert health.json()["components"]["queue"]["status"] == "down"
        assert health.json()["components"]["database"]["status"] == "healthy"
        assert health.json()["components"]["websocket-service"]["status"] == "down"
        features = (await client.get("/api/v1/features")).json()
        assert features["realtimeUpdates"] is False
        assert "refresh to see progress" in features["messages"]["realtimeUpdates"]

        created = await client.post("/api/v1/analyses", json=request_json())
        assert created.status_code == 202
        assert "saved and will start as soon as it is back" in created.json()["progress"]["message"]
        analysis_id = created.json()["analysisId"]
        assert (await client.get(f"/api/v1/analyses/{analysis_id}")).json()["status"] == "queued"
        queue = await client.get(f"/api/v1/analyses/{analysis_id}/queue")
        assert queue.status_code == 503
        assert queue.json()["error"] == "queue_unavailable"
        overview = await client.get("/api/v1/queue")
        assert overview.status_code == 503
        assert overview.json()["message"] == "The job queue is unreachable right now."


async def test_metrics_count_analyses_queue_health_and_requests(tmp_path: Path, clean_redis: str) -> None:
    async with api(web_settings_for(tmp_path, clean_redis)) as (client, _, _):
        for _ in range(2):
            assert (await client.post("/api/v1/analyses", json=request_json())).status_code == 202
        text = (await client.get("/metrics")).text
    assert 'oppscout_analyses{status="queued"} 2.0' in text
    assert 'oppscout_analyses{status="completed"} 0.0' in text
    assert "oppscout_queue_depth 2.0" in text
    assert "oppscout_workers 0.0" in text
    assert 'oppscout_component_up{component="database"} 1.0' in text
    assert 'oppscout_component_state{component="ai-processor",state="healthy"} 1.0' in text
    assert 'oppscout_component_up{component="payment-service"} 1.0' in text
    assert 'oppscout_http_requests_total{method="POST",route="/api/v1/analyses",status="202"} 2.0' in text


async def test_extra_routes_are_served_without_a_token(tmp_path: Path, clean_redis: str) -> None:
    async def slack_events(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok from slack " + (await request.body()).decode())

    routes = [Route("/slack/events", slack_events, methods=["POST"])]
    settings = web_settings_for(tmp_path, clean_redis, slack_max_event_bytes=65536)
    async with api(settings, extra_routes=routes) as (client, _, _):
        del client.headers["Authorization"]
        answer = await client.post("/slack/events", content=b"hello")
        assert answer.status_code == 200
        assert answer.text == "ok from slack hello"
        # Slack's events have their own, larger limit (a 40,000-character message is far above the
        # API's 8 KiB here); an event refused with 413 would be retried by Slack and then dropped.
        assert (await client.post("/slack/events", content=b"x" * 40_000)).status_code == 200
        assert (await client.post("/slack/events", content=b"x" * 70_000)).status_code == 413
        assert (await client.post("/api/v1/analyses", content=b"x" * 10_000)).status_code == 413
        assert (await client.get("/api/v1/analyses")).status_code == 401


async def test_database_down_is_reported_and_requests_get_503_not_401(tmp_path: Path, clean_redis: str) -> None:
    from oppscout.core.db.database import Database

    async with api(web_settings_for(tmp_path, clean_redis)) as (client, runtime, _):
        healthy_database = runtime.database
        # A directory where the SQLite file should be: every connection attempt fails, as with a lost disk.
        unreachable = Database(f"sqlite+aiosqlite:///{tmp_path}")
        runtime.database = runtime.service.database = unreachable
        try:
            health = await client.get("/api/v1/health")
            assert health.status_code == 503
            assert health.json()["components"]["database"]["status"] == "down"
            # The ledger lives in the database: spend cannot be metered, so payment processing is off too.
            assert health.json()["components"]["payment-service"]["status"] == "down"
            features = (await client.get("/api/v1/features")).json()
            assert features["analysisSubmission"] is False
            assert features["paymentProcessing"] is False
            assert "cannot be started or shown" in features["messages"]["analysisSubmission"]
            listed = await client.get("/api/v1/analyses")
            assert listed.status_code == 503
            assert listed.json()["message"] == "The database is unavailable right now; please try again shortly."
        finally:
            runtime.database = runtime.service.database = healthy_database
            await unreachable.close()
        assert (await client.get("/api/v1/analyses")).status_code == 200


async def test_socket_handshake_while_the_database_is_down_is_refused_with_a_reason(
    tmp_path: Path, clean_redis: str
) -> None:
    import asyncio

    import socketio  # type: ignore[import-untyped]  # python-socketio ships no type information
    import uvicorn

    from oppscout.core.db.database import Database

    runtime = await Runtime.open(web_settings_for(tmp_path, clean_redis))
    server = uvicorn.Server(uvicorn.Config(create_app(runtime), host="127.0.0.1", port=0, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    healthy_database = runtime.database
    unreachable = Database(f"sqlite+aiosqlite:///{tmp_path}")
    try:
        while not server.started:
            assert not serving.done()
            await asyncio.sleep(0.01)
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        async with runtime.database.unit_of_work() as session:
            token = (await ApiTokenRepository(session).create("db-down")).secret
        runtime.database = runtime.service.database = unreachable
        client = socketio.AsyncClient(reconnection=False)
        reasons: list[Any] = []
        client.on("connect_error", reasons.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=20)
        assert reasons == [{"message": "The database is unavailable right now; please try again shortly."}]
        runtime.database = runtime.service.database = healthy_database
        await client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=20)
        assert client.connected
        await client.eio.disconnect(abort=True)
    finally:
        runtime.database = runtime.service.database = healthy_database
        server.should_exit = True
        await serving
        await unreachable.close()
        await runtime.close()
