"""`oppscout token create|revoke` and `oppscout web` as a user runs them, in real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.bot.web.fake_http import closed_port_url


def oppscout(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oppscout.cli", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def cli_env(tmp_path: Path, clean_redis: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPPSCOUT_")}
    env.update(
        OPPSCOUT_DATA_DIR=str(tmp_path / "data"),
        OPPSCOUT_REDIS_URL=clean_redis,
        OPPSCOUT_QUEUE_NAME=f"oppscout:clitest:{os.getpid()}",
        OPPSCOUT_LOG_LEVEL="WARNING",
        OPPSCOUT_HEALTH_CACHE_SECONDS="0",
    )
    return env


def wait_for_health(url: str, web: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if web.poll() is not None:
            raise AssertionError(f"oppscout web exited early: {web.communicate()[1]}")
        try:
            httpx.get(url + "/api/v1/health", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("oppscout web did not answer within 90 s")


def test_tokens_from_the_cli_open_and_close_the_api(cli_env: dict[str, str], tmp_path: Path) -> None:
    created = oppscout(cli_env, tmp_path, "token", "create", "--workspace", "cli-team", "--name", "ci")
    assert created.returncode == 0, created.stderr
    fields = dict(line.split(":", 1) for line in created.stdout.splitlines())
    token, token_id = fields["token"].strip(), fields["token id"].strip()
    assert token.startswith("osk_")
    assert fields["workspace"].strip() == "cli-team"
    assert "cannot be shown again" in created.stderr
    listed = oppscout(cli_env, tmp_path, "token", "list", "--workspace", "cli-team")
    assert token_id in listed.stdout
    assert token not in listed.stdout

    url = closed_port_url()
    port = url.rsplit(":", 1)[1]
    web = subprocess.Popen(
        [sys.executable, "-m", "oppscout.cli", "web", "--host", "127.0.0.1", "--port", port],
        env=cli_env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_health(url, web)
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(url + "/api/v1/analyses", headers=headers).json()["items"] == []

        revoked = oppscout(cli_env, tmp_path, "token", "revoke", token_id)
        assert revoked.returncode == 0, revoked.stderr
        assert httpx.get(url + "/api/v1/analyses", headers=headers).status_code == 401
        again = oppscout(cli_env, tmp_path, "token", "revoke", token_id)
        assert again.returncode == 1
        assert "No active token" in again.stderr
        assert token_id not in oppscout(cli_env, tmp_path, "token", "list").stdout
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=60)
    assert web.returncode == 0
