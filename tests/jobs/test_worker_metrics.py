"""A worker process serves Prometheus metrics: a completed analysis shows in its stage, queue and status figures."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from oppscout.core.contract import STAGES, AnalysisStatus
from oppscout.runtime import Runtime
from tests.helpers import make_request
from tests.jobs.test_multi_process import _environment, _free_port, _process
from tests.jobs.worker_harness import wait_for_status

pytestmark = pytest.mark.slow


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_a_worker_serves_the_figures_of_the_analysis_it_completed(runtime: Runtime) -> None:
    port = _free_port()
    env = {**_environment(runtime), "OPPSCOUT_WORKER_METRICS_PORT": str(port)}
    with _process(["worker"], env):
        submission = await runtime.service.submit(make_request(["smallbusiness", "freelance"]))
        await wait_for_status(runtime, submission.analysis_id, AnalysisStatus.COMPLETED, limit=120)
        async with httpx.AsyncClient(timeout=10) as client, asyncio.timeout(60):
            while True:
                text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
                samples = _samples(text)
                # The summary event is recorded right after the database says completed.
                if samples.get(("oppscout_analyses_finished_total", (("status", "completed"),))) == 1:
                    break
                await asyncio.sleep(0.1)
    response = await runtime.service.get(submission.analysis_id)
    cost = response.cost_breakdown
    for stage in STAGES:
        key = (("outcome", "done"), ("stage", stage.value))
        assert samples[("oppscout_stage_duration_seconds_count", key)] == 1
        assert samples[("oppscout_stage_duration_seconds_sum", key)] > 0
        assert samples[("oppscout_queue_wait_seconds_count", (("stage", stage.value),))] == 1
    # The demo source counts the calls Reddit would have taken, so the figure is never trivially zero.
    assert samples[("oppscout_reddit_calls_total", ())] == cost.reddit_calls > 0
    assert samples[("oppscout_llm_tokens_total", (("direction", "in"),))] == cost.llm_tokens_in
    assert ("oppscout_analyses_finished_total", (("status", "failed"),)) not in samples
    assert samples.get(("oppscout_notifier_failures_total", ()), 0) == 0
