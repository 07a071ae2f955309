"""Slack ack latency: p50 and p99 for 200 `/scout` slash commands sent 20 at a time.

The real Bolt app serves HTTP on 127.0.0.1 with signature checks on, backed by SQLite and an
embedded Redis; the Web API is the fake from tests/fakes. Each request is signed as Slack signs it,
and latency is measured from just before the POST to the end of the HTTP answer (what Slack's
3-second limit applies to). The work each command starts (root message, dialog, confirmation)
runs on the same event loop meanwhile, so it weighs on the figures as it would in production.

Run: uv run python -m bench.bench_slack_ack [--commands 200] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bench.stats import percentile
from oppscout.bot.slack.app import SlackEndpoint, build_slack_app, serve_http
from oppscout.core.conversation.chat import ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.core.settings import Settings
from oppscout.jobs.redis_server import EmbeddedRedis
from oppscout.runtime import Runtime
from tests.bot.slack.conftest import BOT_TOKEN, EVENTS_PATH, SlackSender, slack_settings
from tests.fakes.slack_server import start_fake_slack

REQUEST = "what are people struggling with in r/smallbusiness about invoicing, last 14 days, budget $2"


async def run(commands: int, concurrency: int) -> None:
    """Send the commands and print the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        redis = EmbeddedRedis(Path(tmp) / "redis")
        url = redis.start()
        fake, fake_runner = await start_fake_slack(BOT_TOKEN)
        settings = slack_settings(Settings(data_dir=Path(tmp) / "data", redis_url=url, _env_file=None), fake)
        runtime = await Runtime.open(settings)
        app = build_slack_app(settings, runtime, ChatService(runtime.database, runtime.service, Dialog(settings)))
        server = await serve_http(SlackEndpoint(app.bolt), "127.0.0.1", 0, EVENTS_PATH)
        sender = SlackSender(f"http://127.0.0.1:{server.addresses[0][1]}{EVENTS_PATH}")
        try:
            for _ in range(5):  # warm up: auth.test, connections, SQLite pages
                await sender.command(REQUEST)
            await fake.wait_for(lambda f: sum("Run it?" in m["text"] for m in f.messages.values()) >= 5, 60)
            gate = asyncio.Semaphore(concurrency)
            latencies: list[float] = []
            statuses: list[int] = []

            async def one(i: int) -> None:
                async with gate:
                    start = time.perf_counter()
                    sent = await sender.command(REQUEST, user=f"U{i:05d}")
                    latencies.append((time.perf_counter() - start) * 1000)
                    statuses.append(sent.status)

            began = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(commands)))
            acked = time.perf_counter() - began
            await fake.wait_for(lambda f: sum("Run it?" in m["text"] for m in f.messages.values()) >= commands + 5, 300)
            answered = time.perf_counter() - began
        finally:
            await sender.close()
            await server.cleanup()
            await runtime.close()
            await fake_runner.cleanup()
            redis.stop()
    ok = sum(s == 200 for s in statuses)
    print(f"Slack ack latency: {commands} slash commands, {concurrency} concurrent ({ok} answered 200)")
    print(
        f"  ack   p50 {statistics.median(latencies):.1f} ms  p99 {percentile(latencies, 0.99):.1f} ms  "
        f"max {max(latencies):.1f} ms"
    )
    print(f"  all {commands} acked in {acked:.2f} s; all confirmations posted after {answered:.2f} s")


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.commands, args.concurrency))


if __name__ == "__main__":
    main()
