"""Socket.IO over a real uvicorn server: events published on Redis reach the right clients only."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest
import socketio  # type: ignore[import-untyped]  # python-socketio ships no type information

from oppscout.core.contract import CostBreakdown, ProgressUpdate, Stage
from oppscout.core.events import CostEvent, NoticeEvent, ProgressEvent
from oppscout.jobs.event_bus import RedisEventPublisher
from tests.bot.web.conftest import WebEnv

WAIT = 20.0  # generous upper bound on a 2-core shared machine; never asserted on


class Listener:
    """A Socket.IO client that records every ``analysis-*`` and ``cost-*`` event it receives."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self.client.on("*", self._any)

    async def _any(self, event: str, data: dict[str, Any]) -> None:
        await self.received.put((event, data))

    async def connect(self, url: str, token: str | None, transport: str, **auth: Any) -> None:
        await self.client.connect(
            url,
            auth={"token": token, **auth} if token is not None else None,
            transports=[transport],
            wait_timeout=WAIT,
        )

    async def follow(self, analysis_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = await self.client.call("subscribe", {"analysisId": analysis_id}, timeout=WAIT)
        return answer

    async def next(self) -> tuple[str, dict[str, Any]]:
        return await asyncio.wait_for(self.received.get(), WAIT)

    async def close(self) -> None:
        """Leave the namespace, then drop the transport without waiting out an open long-poll."""
        for namespace in self.client.namespaces:
            await self.client._send_packet(self.client.packet_class(socketio.packet.DISCONNECT, namespace=namespace))
        # A polling client would otherwise wait for the server's next ping (25 s) to end its GET.
        await self.client.eio.disconnect(abort=True)


def progress(analysis_id: str, percent: int) -> ProgressEvent:
    return ProgressEvent(
        analysis_id=analysis_id,
        progress=ProgressUpdate(stage=Stage.REDDIT_COLLECTION, percent=percent, message=f"{percent}% collected"),
    )


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_client_receives_progress_and_cost_of_its_analysis(web: WebEnv, transport: str) -> None:
    token = await web.token(f"rt-{transport}")
    analysis_id = await web.analysis(f"rt-{transport}")
    listener = Listener()
    await listener.connect(web.url, token, transport)
    try:
        answer = await listener.follow(analysis_id)
        assert answer["ok"] is True
        assert answer["status"] == "queued"
        # No worker runs beside this server: the follower is told why nothing moves yet.
        assert answer["notices"] == ["No worker is running right now, so analyses wait in line until one starts."]

        publisher = RedisEventPublisher(web.runtime.redis)
        await publisher.publish(progress(analysis_id, 40))
        await publisher.publish(
            CostEvent(
                analysis_id=analysis_id,
                cost=CostBreakdown(total=Decimal("0.25"), budget=Decimal("0.5")),
                warning="Half of the budget is spent.",
                level=0.5,
            )
        )
        name, data = await listener.next()
        assert name == f"analysis-{analysis_id}"
        assert data["type"] == "progress"
        assert data["progress"]["percent"] == 40
        assert data["progress"]["message"] == "40% collected"
        name, data = await listener.next()
        assert name == f"cost-{analysis_id}"
        assert data["cost"]["total"] == 0.25
        assert data["warning"] == "Half of the budget is spent."
        assert data["seq"] == 2
    finally:
        await listener.close()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_client_never_receives_another_workspaces_events(web: WebEnv, transport: str) -> None:
    mine = await web.analysis("rt-alice")
    theirs = await web.analysis("rt-bob")
    alice = Listener()
    await alice.connect(web.url, await web.token("rt-alice"), transport)
    try:
        refused = await alice.follow(theirs)
        assert refused == {"ok": False, "error": "There is no analysis with that id."}
        assert (await alice.follow(mine))["ok"] is True

        publisher = RedisEventPublisher(web.runtime.redis)
        await publisher.publish(NoticeEvent(analysis_id=theirs, message="secret of bob"))
        await publisher.publish(progress(theirs, 10))
        # Events are relayed in publish order, so once this one arrives the others would have too.
        await publisher.publish(progress(mine, 5))
        name, data = await alice.next()
        assert name == f"analysis-{mine}"
        assert data["progress"]["percent"] == 5
        assert alice.received.empty()
    finally:
        await alice.close()


async def test_analyses_named_in_the_handshake_are_followed_when_visible(web: WebEnv) -> None:
    mine = await web.analysis("rt-carol")
    theirs = await web.analysis("rt-dave")
    carol = Listener()
    await carol.connect(web.url, await web.token("rt-carol"), "websocket", analyses=[theirs, mine])
    try:
        publisher = RedisEventPublisher(web.runtime.redis)
        await publisher.publish(progress(theirs, 70))
        await publisher.publish(progress(mine, 30))
        name, _ = await carol.next()
        assert name == f"analysis-{mine}"
        assert carol.received.empty()
    finally:
        await carol.close()


async def test_unsubscribed_client_stops_receiving(web: WebEnv) -> None:
    first = await web.analysis("rt-erin")
    second = await web.analysis("rt-erin")
    erin = Listener()
    await erin.connect(web.url, await web.token("rt-erin"), "websocket")
    try:
        await erin.follow(first)
        await erin.follow(second)
        assert (await erin.client.call("unsubscribe", {"analysisId": first}, timeout=WAIT)) == {"ok": True}
        publisher = RedisEventPublisher(web.runtime.redis)
        await publisher.publish(progress(first, 50))
        await publisher.publish(progress(second, 60))
        name, _ = await erin.next()
        assert name == f"analysis-{second}"
        assert erin.received.empty()
    finally:
        await erin.close()


@pytest.mark.parametrize("token", [None, "", "osk_not-a-real-token"])
async def test_handshake_without_a_valid_token_is_refused(web: WebEnv, token: str | None) -> None:
    client = socketio.AsyncClient(reconnection=False)
    reasons: list[Any] = []
    client.on("connect_error", reasons.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(web.url, auth={"token": token} if token is not None else None, wait_timeout=WAIT)
    assert not client.connected
    assert reasons == [{"message": "A valid API token is required: connect with auth={'token': '<token>'}."}]


async def test_a_revoked_token_cannot_connect(web: WebEnv) -> None:
    from oppscout.core.db.repositories.api_tokens import ApiTokenRepository

    token = await web.token("rt-frank")
    async with web.runtime.database.unit_of_work() as session:
        assert await ApiTokenRepository(session).revoke(token)
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(web.url, auth={"token": token}, wait_timeout=WAIT)


async def test_events_flow_again_after_the_redis_subscription_is_dropped(web: WebEnv) -> None:
    analysis_id = await web.analysis("rt-grace")
    grace = Listener()
    await grace.connect(web.url, await web.token("rt-grace"), "websocket")
    try:
        await grace.follow(analysis_id)
        redis = web.runtime.redis
        # Drop the web process's pub/sub connection, as a Redis restart or a network cut would.
        assert await redis.client_kill_filter(_type="pubsub") >= 1
        while not await redis.pubsub_numpat():
            await asyncio.sleep(0.05)
        await RedisEventPublisher(redis).publish(progress(analysis_id, 90))
        name, data = await grace.next()
        assert name == f"analysis-{analysis_id}"
        assert data["progress"]["percent"] == 90
    finally:
        await grace.close()


async def test_a_page_on_a_foreign_origin_cannot_open_a_socket(web: WebEnv) -> None:
    token = await web.token("rt-heidi")
    # The Engine.IO handshake a browser on another site would make: refused before any Socket.IO traffic.
    async with httpx.AsyncClient(base_url=web.url) as http:
        handshake = {"EIO": "4", "transport": "polling"}
        foreign = await http.get("/socket.io/", params=handshake, headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 400
        own = await http.get("/socket.io/", params=handshake, headers={"Origin": web.url})
        assert own.status_code == 200
    same_origin = socketio.AsyncClient(reconnection=False)
    await same_origin.connect(web.url, auth={"token": token}, headers={"Origin": web.url}, wait_timeout=WAIT)
    assert same_origin.connected
    await same_origin.eio.disconnect(abort=True)


async def test_clients_of_two_web_processes_both_receive_one_published_event(web: WebEnv) -> None:
    from tests.bot.web.conftest import ServerThread

    second = ServerThread(web.server.settings).start()  # same database and Redis, as behind a load balancer
    analysis_id = await web.analysis("rt-ivan")
    token = await web.token("rt-ivan")
    on_first, on_second = Listener(), Listener()
    try:
        await on_first.connect(web.url, token, "websocket")
        await on_second.connect(second.url, token, "websocket")
        assert (await on_first.follow(analysis_id))["ok"]
        assert (await on_second.follow(analysis_id))["ok"]
        await RedisEventPublisher(web.runtime.redis).publish(progress(analysis_id, 25))
        for listener in (on_first, on_second):
            name, data = await listener.next()
            assert name == f"analysis-{analysis_id}"
            assert data["progress"]["percent"] == 25
    finally:
        await on_first.close()
        await on_second.close()
        second.stop()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_a_connection_with_a_token_receives_its_workspaces_analyses_without_subscribing(
    web: WebEnv, transport: str
) -> None:
    """The contract's client: ``io(URL, {auth: {token}})`` then ``on('analysis-'+id)``, no other step."""
    workspace = f"rt-rooms-{transport}"
    listener = Listener()
    await listener.connect(web.url, await web.token(workspace), transport)
    try:
        # Both analyses are created after the connection: it could not have named them.
        first = await web.analysis(workspace)
        second = await web.analysis(workspace)
        stranger = await web.analysis("rt-rooms-stranger")
        publisher = RedisEventPublisher(web.runtime.redis)
        await publisher.publish(progress(stranger, 10))
        await publisher.publish(progress(first, 20))
        await publisher.publish(
            CostEvent(analysis_id=second, cost=CostBreakdown(total=Decimal("0.1"), budget=Decimal("0.5")))
        )
        name, data = await listener.next()
        assert (name, data["progress"]["percent"]) == (f"analysis-{first}", 20)
        name, data = await listener.next()
        assert name == f"cost-{second}"
        # Optional fields without a value are left out, never sent as null.
        assert "warning" not in data and "level" not in data
        assert listener.received.empty()
    finally:
        await listener.close()


async def test_a_subscribed_connection_receives_each_event_once(web: WebEnv) -> None:
    analysis_id = await web.analysis("rt-once")
    listener = Listener()
    await listener.connect(web.url, await web.token("rt-once"), "websocket")
    try:
        assert (await listener.follow(analysis_id))["ok"] is True
        publisher = RedisEventPublisher(web.runtime.redis)
        await publisher.publish(progress(analysis_id, 30))
        await publisher.publish(NoticeEvent(analysis_id=analysis_id, message="done waiting"))
        assert (await listener.next())[1]["type"] == "progress"
        assert (await listener.next())[1]["type"] == "notice"
        assert listener.received.empty()
    finally:
        await listener.close()
