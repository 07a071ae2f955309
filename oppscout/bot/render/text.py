"""Plain-text and terminal rendering of progress and summaries."""

from __future__ import annotations

import re
import textwrap

from rich.console import Console
from rich.text import Text

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
    """One line for an analysis waiting in line (``position`` 1 is the next; 0 means not waiting)."""
    where = "next in line" if position <= 1 else f"{position - 1} ahead in line"
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


INDENT = 3
"""Columns an opportunity's lines are indented under its heading."""


def _indented(console: Console, text: str) -> None:
    # Wrapped here, not by rich, so continuation lines keep the indent and carry no trailing blanks.
    pad = " " * INDENT
    lines = textwrap.wrap(text, width=max(20, console.width - 1), initial_indent=pad, subsequent_indent=pad)
    console.print(Text("\n".join(lines)), soft_wrap=True)


def print_summary(console: Console, results: OpportunityResults, *, top: int = 5) -> None:
    """Print the top opportunities, each with its best quote and that quote's permalink.

    A permalink is printed whole on a line of its own and never wrapped, whatever the width (at 80
    columns, in a pipe, in a CI log), so every link can be clicked or copied; on a terminal it is
    also a hyperlink. Reddit text goes in as plain ``Text``, so brackets in a post are never read
    as terminal markup.
    """
    console.print(Text("Top opportunities", style="bold"))
    for rank, opp in enumerate(results.opportunities[:top], 1):
        heading = Text(f"{rank}. ", style="bold")
        heading.append(opp.title, style="bold")
        heading.append(f"  · score {opp.score}")
        console.print(heading)
        _indented(console, opp.problem)
        quote = opp.quotes[0] if opp.quotes else None
        if quote is None:
            continue
        _indented(console, f"“{quote.text}” — u/{quote.author}")
        link = Text(" " * INDENT)
        link.append(quote.permalink, style=f"link {quote.permalink}")
        console.print(link, soft_wrap=True, overflow="ignore", crop=False)


def coverage_line(results: OpportunityResults) -> str:
    """What the analysis read."""
    cov = results.coverage
    subs = ", ".join(f"r/{s}" for s in cov.subreddits)
    truncated = " (truncated: Reddit lists at most ~1,000 posts; narrow the window)" if cov.truncated else ""
    return f"Read {plural(cov.posts, 'post')} and {plural(cov.comments, 'comment')} from {subs}{truncated}."
