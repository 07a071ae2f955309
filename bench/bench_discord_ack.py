"""Discord ack latency: how fast `/scout` interactions are deferred, and when the thread's first answer lands.

The real discord.py client parses raw INTERACTION_CREATE payloads (as the gateway delivers them)
and talks to the fake Discord REST API from tests/fakes on 127.0.0.1, backed by SQLite and an
embedded Redis. Latency is measured from just before a payload is handed to discord.py's parser to
the moment the fake server receives the deferral (Discord's 3-second limit applies to that), and
to the first message posted in the new thread (the confirmation). Commands arrive in bursts of
``--concurrency``; the work each starts (thread, dialog, confirmation) shares the event loop.

Run: uv run python -m bench.bench_discord_ack [--commands 200] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr

from bench.stats import percentile
from oppscout.bot.discord.app import ScoutBot, use_api_base
from oppscout.bot.discord.handlers import DiscordHandlers
from oppscout.core.conversation.chat import ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.core.settings import Settings
from oppscout.runtime import Runtime
from tests.fakes.discord_server import FakeDiscord

REQUEST = "what are people struggling with in r/smallbusiness about invoicing, last 14 days, budget $5"
GUILD_ID = 700000000000000001
HANDLER_TASKS = ("discord.py:", "CommandTree-invoker")


async def settle() -> None:
    while True:
        pending = [t for t in asyncio.all_tasks() if not t.done() and t.get_name().startswith(HANDLER_TASKS)]
        if not pending:
            return
        await asyncio.gather(*pending, return_exceptions=True)


async def run(commands: int, concurrency: int) -> None:
    server = FakeDiscord()
    await server.start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            discord_token=SecretStr("bench-token"),
            discord_api_base_url=server.base_url,
            _env_file=None,
        )
        runtime = await Runtime.open(settings)
        use_api_base(server.base_url)
        chat = ChatService(runtime.database, runtime.service, Dialog(settings))
        bot = ScoutBot(DiscordHandlers(settings, chat, runtime.service, runtime.database), sync_commands=False)
        await bot.login("bench-token")
        channel = server.add_channel(GUILD_ID)
        bot._connection.parsers["GUILD_CREATE"](server.guild_create(GUILD_ID, [channel]))
        started: dict[str, float] = {}
        began = time.perf_counter()
        for first in range(0, commands, concurrency):
            for n in range(first, min(commands, first + concurrency)):
                data = {
                    "id": "1",
                    "name": "scout",
                    "type": 1,
                    "options": [{"name": "request", "type": 3, "value": REQUEST}],
                }
                payload = server.interaction(
                    2, data, channel=channel, user_id=800000000000000000 + n, guild_id=GUILD_ID
                )
                started[payload["token"]] = time.perf_counter()
                bot._connection.parsers["INTERACTION_CREATE"](payload)
            await settle()
        total = time.perf_counter() - began
        acks: list[float] = []
        answers: list[float] = []
        for token, t0 in started.items():
            callback = next(r for r in server.requests if r.path.endswith(f"/{token}/callback"))
            acks.append((callback.at - t0) * 1000)
            thread_id = server.interactions[token]["original"]
            posted = next(
                r for r in server.requests if r.method == "POST" and r.path.endswith(f"/channels/{thread_id}/messages")
            )
            answers.append((posted.at - t0) * 1000)
        await bot.close()
        await runtime.close()
    await server.stop()
    print(f"{commands} /scout commands, {concurrency} at a time, {len(server.threads())} threads")
    print(
        f"defer ack: p50 {statistics.median(acks):.1f} ms, p99 {percentile(acks, 0.99):.1f} ms, max {max(acks):.1f} ms"
    )
    print(
        f"confirmation in thread: p50 {statistics.median(answers):.1f} ms, p99 {percentile(answers, 0.99):.1f} ms, "
        f"max {max(answers):.1f} ms"
    )
    print(f"all {commands} handled in {total:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.commands, args.concurrency))


if __name__ == "__main__":
    main()
