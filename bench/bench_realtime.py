"""Realtime delivery: Socket.IO clients following running analyses, latency from publish to receipt.

`oppscout web` runs as its own process (as in production) on an embedded Redis and SQLite. This
script plays the workers: it publishes progress events (and every fifth a cost event) for each
analysis on Redis pub/sub exactly as a worker does (RedisEventPublisher, each event stamped with its
analysis's workspace as a worker's stage stamps it, so the relay routes it with no database read;
``--unstamped`` publishes them as an older worker did, leaving the relay one lookup per analysis), at a steady rate. The
clients (python-socketio AsyncClient, one connection each, in this process) each follow one
analysis: the only analysis of their token's workspace, which a connection receives with no other
step (workspace rooms). Latency is measured from just before the publish to the moment the client's handler runs;
publisher and clients share one clock because they share this process. The web process's memory is
read from /proc (resident set now, and its peak).

Publisher, clients and server share the machine's cores, so the figures include that contention.

Run: uv run python -m bench.bench_realtime [--clients 200] [--analyses 20] [--rate 5] [--seconds 10]
     [--transport websocket|polling] [--unstamped]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import socketio  # type: ignore[import-untyped]  # python-socketio ships no type information

from bench.stats import percentile
from oppscout.core.contract import CostBreakdown, ProgressUpdate, Stage
from oppscout.core.db.repositories.api_tokens import ApiTokenRepository
from oppscout.core.events import AnalysisEvent, CostEvent, ProgressEvent
from oppscout.core.settings import Settings
from oppscout.jobs.event_bus import RedisEventPublisher
from oppscout.jobs.redis_server import EmbeddedRedis
from oppscout.runtime import Runtime
from tests.bot.web.conftest import add_analysis, web_settings_for


def memory_kib(pid: int) -> tuple[int, int]:
    """(resident now, resident peak) of a process, in KiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_web(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    """`oppscout web` as a separate process on ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPPSCOUT_")}
    env.update(
        OPPSCOUT_DATA_DIR=str(settings.data_dir),
        OPPSCOUT_REDIS_URL=settings.redis_url or "",
        OPPSCOUT_QUEUE_NAME=settings.queue_name,
        OPPSCOUT_LOG_LEVEL="WARNING",
    )
    return subprocess.Popen([sys.executable, "-m", "oppscout.cli", "web", "--port", str(port)], env=env)


async def wait_until_up(url: str, web: subprocess.Popen[bytes]) -> None:
    """Poll /api/v1/health until the server answers."""
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            if web.poll() is not None:
                raise RuntimeError("oppscout web exited")
            try:
                await client.get(url + "/api/v1/health", timeout=2)
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise RuntimeError("oppscout web did not start")


class Follower:
    """One client following one analysis; records the latency of every event it gets."""

    def __init__(self, sent_at: dict[tuple[str, int], float], latencies: list[float]) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.sent_at = sent_at
        self.latencies = latencies
        self.client.on("*", self._on_event)

    async def _on_event(self, event: str, data: dict[str, Any]) -> None:
        started = self.sent_at.get((data["analysisId"], data["seq"]))
        if started is not None:
            self.latencies.append(time.perf_counter() - started)


def event_for(analysis_id: str, n: int) -> AnalysisEvent:
    """The n-th event of an analysis: progress, and a cost update every fifth."""
    if n % 5 == 4:
        return CostEvent(analysis_id=analysis_id, cost=CostBreakdown())
    return ProgressEvent(
        analysis_id=analysis_id,
        progress=ProgressUpdate(stage=Stage.REDDIT_COLLECTION, percent=n % 100, message=f"{n} posts collected"),
    )


async def run(clients: int, analyses: int, rate: float, seconds: float, transport: str, stamped: bool = True) -> None:
    """Connect, follow, publish for ``seconds`` and print the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        redis = EmbeddedRedis(Path(tmp) / "redis")
        settings = web_settings_for(Path(tmp) / "data", redis.start())
        runtime = await Runtime.open(settings)
        port = free_port()
        web = start_web(settings, port)
        url = f"http://127.0.0.1:{port}"
        followers: list[Follower] = []
        try:
            await wait_until_up(url, web)
            idle_rss, _ = memory_kib(web.pid)
            # One workspace per analysis: a connection receives every analysis of its token's workspace
            # (workspace rooms), so client i follows analysis i % analyses by holding that workspace's token.
            tokens = []
            for i in range(analyses):
                async with runtime.database.unit_of_work() as session:
                    tokens.append((await ApiTokenRepository(session).create(f"bench-{i}")).secret)
            ids = [await add_analysis(runtime, f"bench-{i}") for i in range(analyses)]
            sent_at: dict[tuple[str, int], float] = {}
            latencies: list[float] = []
            followers = [Follower(sent_at, latencies) for _ in range(clients)]
            connect_started = time.perf_counter()
            gate = asyncio.Semaphore(20)

            async def join(i: int, follower: Follower) -> None:
                async with gate:
                    # The contract's client: a token and nothing else (no subscribe).
                    token = tokens[i % analyses]
                    await follower.client.connect(url, auth={"token": token}, transports=[transport], wait_timeout=60)

            await asyncio.gather(*(join(i, f) for i, f in enumerate(followers)))
            connect_seconds = time.perf_counter() - connect_started
            connected_rss, _ = memory_kib(web.pid)

            publisher = RedisEventPublisher(runtime.redis)
            rounds = int(rate * seconds)
            for n in range(rounds):
                round_started = time.perf_counter()
                for i, analysis_id in enumerate(ids):
                    event = event_for(analysis_id, n)
                    if stamped:
                        event.in_workspace(f"bench-{i}")
                    # The publisher numbers events itself; the numbers are 1, 2, ... per analysis.
                    sent_at[(analysis_id, n + 1)] = time.perf_counter()
                    await publisher.publish(event)
                await asyncio.sleep(max(0.0, 1 / rate - (time.perf_counter() - round_started)))
            expected = rounds * clients
            for _ in range(100):  # let the last events arrive
                if len(latencies) >= expected:
                    break
                await asyncio.sleep(0.1)
            rss, peak = memory_kib(web.pid)
            ms = [x * 1000 for x in latencies]
            print(
                f"transport: {transport}; {clients} clients following {analyses} analyses ({clients // analyses} each); "
                f"events {'stamped with their workspace' if stamped else 'unstamped (relay looks workspaces up)'}"
            )
            print(f"connect all clients (workspace rooms, no subscribe): {connect_seconds:.2f} s")
            print(f"published {rounds * analyses} events ({rate:g}/s per analysis for {seconds:g} s)")
            print(f"deliveries: {len(latencies)} of {expected} expected")
            print(
                f"latency publish→receipt: p50 {percentile(ms, 0.50):.1f} ms, p90 {percentile(ms, 0.90):.1f} ms, "
                f"p99 {percentile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms"
            )
            print(
                f"web process RSS: idle {idle_rss / 1024:.0f} MiB, with clients {connected_rss / 1024:.0f} MiB, "
                f"after the run {rss / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB"
            )
        finally:
            for follower in followers:
                if follower.client.connected:
                    await follower.client.eio.disconnect(abort=True)
            web.terminate()
            web.wait(timeout=60)
            await runtime.close()
            redis.stop()


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--analyses", type=int, default=20)
    parser.add_argument("--rate", type=float, default=5.0, help="events per second per analysis")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--transport", choices=["websocket", "polling"], default="websocket")
    parser.add_argument("--unstamped", action="store_true", help="publish without the workspace (older workers)")
    args = parser.parse_args()
    asyncio.run(run(args.clients, args.analyses, args.rate, args.seconds, args.transport, not args.unstamped))


if __name__ == "__main__":
    main()
