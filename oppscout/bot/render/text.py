"""Plain-text and terminal rendering of progress and summaries."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from oppscout.core.contract import CostBreakdown, OpportunityResults, ProgressUpdate, utcnow

CANCELLED_NOTE = "Cancelled. Nothing more will be charged."
"""What every platform says in the conversation when an analysis is cancelled."""


def progress_line(progress: ProgressUpdate) -> str:
    """One line: stage, percent, counts and ETA."""
    parts = [f"{progress.stage.label if progress.stage else 'working'}", f"{progress.percent}%"]
    parts.append(f"{progress.posts_collected} posts · {progress.comments_collected} comments")
    if progress.estimated_completion:
        seconds = max(0, int((progress.estimated_completion - utcnow()).total_seconds()))
        parts.append(f"~{seconds}s left")
    return " · ".join(parts)


def queue_line(position: int, wait_seconds: float) -> str:
    """One line for an analysis waiting in line (``position`` 1 is the next; 0 means not waiting)."""
    where = "next in line" if position <= 1 else f"{position - 1} ahead in line"
    return f"queued · {where} · ~{int(wait_seconds)}s wait"


def cost_line(cost: CostBreakdown) -> str:
    """What was spent, of what budget."""
    return f"${cost.total:.4f} of ${cost.budget:.2f} ({cost.reddit_calls} Reddit calls)"


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
    return f"Read {cov.posts} posts and {cov.comments} comments from {subs}{truncated}."
