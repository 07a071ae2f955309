"""The console chat: a conversation that asks back, confirms, shows progress and a readable summary."""

from __future__ import annotations

import io
import re
from pathlib import Path

from rich.console import Console

from oppscout.bot.console.chat import play
from oppscout.runtime import Runtime
from tests.jobs.worker_harness import running_worker


async def test_a_console_conversation_from_question_to_summary(runtime: Runtime) -> None:
    out = io.StringIO()
    console = Console(file=out, width=220, force_terminal=False, color_system=None)
    async with running_worker(runtime):
        await play(
            runtime,
            console,
            [
                "what are people struggling with lately?",
                "r/freelance and r/smallbusiness, last 30 days, budget $2",
                "yes",
            ],
        )
    text = out.getvalue()
    assert "Which subreddits should I look at?" in text
    assert re.search(r"Here's what I understood: r/freelance, r/smallbusiness, last 30 days, budget \$2", text)
    assert "Estimate: ~" in text and "Run it? (yes / edit … / cancel)" in text
    assert "collecting posts" in text and "reading comments" in text and "finding opportunities" in text
    assert "Top opportunities" in text
    rows = re.findall(r"^(\d+)\. .+ · score (\d+)$", text, flags=re.MULTILINE)
    assert len(rows) >= 3
    # Every opportunity shown carries a quote with its link into one of the asked subreddits.
    links = re.findall(r"https://www\.reddit\.com/r/(?:freelance|smallbusiness)/comments/\w+/", text)
    assert len(links) == len(rows)
    report = re.search(r"Full report:\s+(\S+\.md)", text)
    assert report is not None
    assert "## 1." in Path(report.group(1)).read_text(encoding="utf-8")
    assert "Cost: $0.00 of $2.00" in text


async def test_the_console_answers_status_and_cancel_without_an_analysis(runtime: Runtime) -> None:
    out = io.StringIO()
    console = Console(file=out, width=160, color_system=None)
    await play(runtime, console, ["status", "cancel", "help"])
    text = out.getvalue()
    assert text.count("There is no analysis in this conversation yet") == 2
    assert "I find product opportunities" in text


async def test_a_budget_over_the_cap_is_explained_not_run(runtime: Runtime) -> None:
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    await play(runtime, console, ["r/SaaS about churn, last 7 days, budget $500"])
    text = out.getvalue()
    assert "above this workspace's cap of $25" in text
    assert await runtime.queue.depth() == 0
