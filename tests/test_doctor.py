"""``oppscout doctor`` checks Slack, Discord, SMTP and the LLM for real when they are configured, and says
which one is down."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from oppscout.core.settings import Settings
from oppscout.doctor import Check, run_checks
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.openai_server import OpenAIServer
from tests.fakes.slack_server import FakeSlack, start_fake_slack
from tests.fakes.smtp_server import smtp_server

SLACK_TOKEN = "xoxb-doctor"
DISCORD_TOKEN = "discord-doctor"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake, runner = await start_fake_slack(SLACK_TOKEN)
    yield fake
    await runner.cleanup()


@pytest.fixture
async def discord_api() -> AsyncIterator[str]:
    fake = FakeDiscord()
    fake.token = DISCORD_TOKEN
    base = await fake.start()
    yield base
    await fake.stop()


@pytest.fixture
def llm() -> Iterator[OpenAIServer]:
    server = OpenAIServer().start()
    yield server
    server.stop()


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


async def test_every_configured_part_is_reached_and_reported_ok(
    settings: Settings, slack: FakeSlack, discord_api: str, llm: OpenAIServer
) -> None:
    with smtp_server() as (_, smtp_port):
        configured = settings.model_copy(
            update={
                "voice_enabled": False,
                "slack_bot_token": SecretStr(SLACK_TOKEN),
                "slack_api_base_url": slack.api_url(),
                "discord_token": SecretStr(DISCORD_TOKEN),
                "discord_api_base_url": discord_api,
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp_port,
                "openai_base_url": llm.base_url,
                "openai_api_key": SecretStr("sk-doctor"),
            }
        )
        checks = _by_name(await run_checks(configured))
    assert {name: check.state for name, check in checks.items()} == {
        "redis": "ok",
        "database": "ok",
        "source": "ok",
        "llm": "ok",
        "slack": "ok",
        "discord": "ok",
        "smtp": "ok",
        "transcriber": "off",
    }
    assert "gpt-4o-mini" in checks["llm"].detail and "(listed)" in checks["llm"].detail
    assert [r.path for r in llm.state.received] == ["/v1/models"]
    assert "scout" in checks["slack"].detail
    assert "scout" in checks["discord"].detail
    assert f"127.0.0.1:{smtp_port} answers" in checks["smtp"].detail


async def test_unconfigured_parts_are_off_not_down(settings: Settings) -> None:
    checks = _by_name(await run_checks(settings.model_copy(update={"voice_enabled": False})))
    for name in ("llm", "slack", "discord", "smtp"):
        assert checks[name].state == "off", checks[name]


async def test_refused_tokens_and_unreachable_servers_are_down(
    settings: Settings, slack: FakeSlack, discord_api: str
) -> None:
    broken = settings.model_copy(
        update={
            "voice_enabled": False,
            "slack_bot_token": SecretStr("xoxb-revoked"),
            "slack_api_base_url": slack.api_url(),
            "discord_token": SecretStr("stolen-and-reset"),
            "discord_api_base_url": discord_api,
            "smtp_host": "127.0.0.1",
            "smtp_port": _closed_port(),
            "openai_base_url": f"http://127.0.0.1:{_closed_port()}/v1",
        }
    )
    checks = _by_name(await run_checks(broken))
    assert checks["slack"].state == "down" and "invalid_auth" in checks["slack"].detail
    assert checks["discord"].state == "down" and "401" in checks["discord"].detail
    assert checks["smtp"].state == "down" and "ConnectionRefusedError" in checks["smtp"].detail
    assert checks["llm"].state == "down" and "APIConnectionError" in checks["llm"].detail
    assert checks["redis"].state == "ok"


def test_the_command_exits_non_zero_and_names_the_part_when_a_configured_server_is_down(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "OPPSCOUT_DATA_DIR": str(tmp_path),
        "OPPSCOUT_VOICE_ENABLED": "false",
        "OPPSCOUT_SMTP_HOST": "127.0.0.1",
        "OPPSCOUT_SMTP_PORT": str(_closed_port()),
        "COLUMNS": "200",
    }
    env.pop("OPPSCOUT_REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "oppscout.cli", "doctor"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"down\s+smtp", result.stdout)
    assert re.search(r"ok\s+redis", result.stdout)


async def test_an_unpriced_model_is_a_warning_that_says_how_to_fix_it(settings: Settings, llm: OpenAIServer) -> None:
    local = settings.model_copy(
        update={"voice_enabled": False, "openai_base_url": llm.base_url, "openai_model": "gemma-3-270m"}
    )
    check = _by_name(await run_checks(local))["llm"]
    assert check.state == "warn"
    assert "no price" in check.detail and "OPPSCOUT_LLM_FREE=true" in check.detail
    free = _by_name(await run_checks(local.model_copy(update={"llm_free": True})))["llm"]
    assert free.state == "ok" and "declared free" in free.detail
