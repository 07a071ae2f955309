"""The confirmation's estimate on the demo data set names the posts the analysis then reads."""

from __future__ import annotations

import re

from oppscout.core.contract import AnalysisStatus
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.runtime import Runtime, build_chat
from tests.jobs.worker_harness import running_worker, wait_for_status

THREAD = ThreadRef("console", "local", "console", "estimate-1", "ana")


async def test_the_demo_estimate_counts_the_posts_the_analysis_reads(runtime: Runtime) -> None:
    chat = build_chat(runtime, voice=False)
    first = await chat.handle(THREAD, "r/freelance and r/smallbusiness, last 30 days, budget $2")
    match = re.search(
        r"Estimate: ~(\d+) posts, ~(\d+) Reddit calls, \$0 \(local analysis, no paid calls\)", first.messages[0]
    )
    assert match is not None, first.messages
    assert "under a minute" in first.messages[0]  # the demo data set answers at once
    second = await chat.handle(THREAD, "yes")
    assert second.submission is not None
    async with running_worker(runtime):
        await wait_for_status(runtime, second.submission.analysis_id, AnalysisStatus.COMPLETED)
    results = (await runtime.service.get(second.submission.analysis_id)).results
    assert results is not None
    assert results.coverage.posts == int(match.group(1))
