"""Plain-text and terminal rendering of progress and summaries."""

from __future__ import annotations

import re

from rich.markup import escape
from rich.table import Table

from oppscout.core.contract import CostBreakdown, OpportunityResults, ProgressUpdate, utcnow
from oppscout.core.wording import plural, usd

SAFE_NAME = re.compile(r"[^a-z0-9-]+")

CANCELLED_NOTE = "Cancelled. Nothing more will be charged."
"""What every platform says in the conversation when an analysis is cancelled."""


def progress_line(progress: ProgressUpdate) -> str:
    """One line: stage, percent, counts and ETA."""
    parts = [f"{progress.stage.label if progress.stage else 'working'}", f"{progress.percent}%"]
    parts.append(f"{plural(progress.posts_collected, 'post')} · {plural(progress.comments_collected, 'comment')}")
    if progress.estimated_completion:
        seconds = max(0, int((progress.estimated_completion - utcnow()).total_seconds()))
        parts.append(f"~{seconds}s left")
    return " · ".join(parts)


def queue_line(position: int, wait_seconds: float) -> str:
    """One line for an analysis waiting in line."""
    where = "next in line" if position == 0 else f"{position} ahead in line"
    return f"queued · {where} · ~{int(wait_seconds)}s wait"


def cost_line(cost: CostBreakdown) -> str:
    """What was spent, of what budget."""
    return f"{usd(cost.total)} of {usd(cost.budget)} ({plural(cost.reddit_calls, 'Reddit call')})"


def report_filename(results: OpportunityResults) -> str:
    """A readable name for the Markdown report: ``opportunities-r-freelance-2026-12-03.md``.

    Named by what was read and the day the window ended, so a downloads folder tells reports apart.
    """
    subs = "-".join(f"r-{s.lower()}" for s in results.coverage.subreddits[:3]) or "reddit"
    if len(results.coverage.subreddits) > 3:
        subs += f"-and-{len(results.coverage.subreddits) - 3}-more"
    day = (results.coverage.window_end or utcnow()).strftime("%Y-%m-%d")
    return f"opportunities-{SAFE_NAME.sub('-', subs)}-{day}.md"


def summary_table(results: OpportunityResults, *, top: int = 5) -> Table:
    """The top opportunities as a terminal table with a quote and link each."""
    table = Table(title="Top opportunities", show_lines=True, expand=False)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Opportunity", ratio=2)
    table.add_column("Evidence", ratio=3, overflow="fold")
    for rank, opp in enumerate(results.opportunities[:top], 1):
        quote = opp.quotes[0] if opp.quotes else None
        # Reddit text is data: escape it so brackets in a post are never read as terminal markup.
        evidence = escape(f"“{quote.text}”\n— u/{quote.author}, {quote.permalink}") if quote else ""
        title = f"[bold]{escape(opp.title)}[/bold]\n{escape(opp.problem)}"
        table.add_row(str(rank), str(opp.score), title, evidence)
    return table


def coverage_line(results: OpportunityResults) -> str:
    """What the analysis read."""
    cov = results.coverage
    subs = ", ".join(f"r/{s}" for s in cov.subreddits)
    truncated = " (truncated: Reddit lists at most ~1,000 posts; narrow the window)" if cov.truncated else ""
    return f"Read {plural(cov.posts, 'post')} and {plural(cov.comments, 'comment')} from {subs}{truncated}."
