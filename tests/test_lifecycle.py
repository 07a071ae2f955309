"""Stopping a long-running command by signal: it exits by itself and stops the embedded Redis it started.

``oppscout chat`` starts the embedded redis-server (no OPPSCOUT_REDIS_URL) and a worker beside the
REPL; ``oppscout bot`` starts it too, and here waits for an unreachable Discord. SIGTERM (a service manager, ``docker stop``) and SIGINT (Ctrl-C) must both end it promptly,
with no redis-server left running and no ``redis.url`` left behind for the next start to trip on.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

pytestmark = pytest.mark.slow


def answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("command", ["chat", "bot"])
@pytest.mark.parametrize(("sig", "exit_code"), [(signal.SIGTERM, 0), (signal.SIGINT, 130)])
def test_a_command_stopped_by_a_signal_exits_and_stops_its_embedded_redis(
    tmp_path: Path, command: str, sig: signal.Signals, exit_code: int
) -> None:
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPPSCOUT_")}
    env |= {"OPPSCOUT_DATA_DIR": str(data_dir), "OPPSCOUT_VOICE_ENABLED": "false", "OPPSCOUT_LOG_LEVEL": "WARNING"}
    if command == "bot":
        # Discord unreachable: the bot keeps trying to connect when the signal comes.
        env |= {
            "OPPSCOUT_DISCORD_TOKEN": "test-token",
            "OPPSCOUT_DISCORD_API_BASE_URL": f"http://127.0.0.1:{closed_port()}/api/v10",
        }
    process = subprocess.Popen(
        [sys.executable, "-m", "oppscout.cli", command],
        env=env,
        stdin=subprocess.PIPE,  # kept open: the REPL waits for a line when the signal comes
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url_file = data_dir / "redis.url"
        deadline = time.monotonic() + 60
        while not (url_file.exists() and answers(url_file.read_text().strip())):
            assert process.poll() is None, process.communicate()[0].decode()
            assert time.monotonic() < deadline, "the embedded Redis never came up"
            time.sleep(0.1)
        url = url_file.read_text().strip()
        time.sleep(1.5)  # the REPL waits for input, the bot for Discord, by now

        process.send_signal(sig)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == exit_code, output.decode()
    assert not url_file.exists()
    assert not answers(url)
    assert b"Traceback" not in output
