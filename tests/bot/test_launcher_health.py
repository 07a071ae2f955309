"""A running bot process tells every web process that its platforms are up, and stops saying so when it stops."""

from __future__ import annotations

import asyncio

import pytest

from oppscout.core.health import Component, ComponentHealth, ComponentState, component_report_key
from oppscout.runtime import Runtime, build_chat


async def test_a_running_platform_is_reported_healthy_and_the_report_goes_with_the_process(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oppscout.bot import launcher

    started = asyncio.Event()
    stop = asyncio.Event()

    async def fake_slack(rt: Runtime, chat: object) -> None:
        started.set()
        await stop.wait()

    # The platform itself is replaced by a stand-in that runs until told to stop.
    monkeypatch.setattr(launcher, "configured_platforms", lambda rt: {"slack": fake_slack})
    task = asyncio.create_task(launcher.run_bots(runtime, build_chat(runtime, voice=False)))
    await started.wait()
    key = component_report_key(Component.SLACK)
    async with asyncio.timeout(5):
        while (raw := await runtime.redis.get(key)) is None:
            await asyncio.sleep(0.05)
    report = ComponentHealth.model_validate_json(raw)
    assert report.status == ComponentState.HEALTHY
    assert report.reported_by == "bot"
    assert 0 < await runtime.redis.ttl(key) <= 60  # expires when the process stops reporting
    stop.set()
    await task
