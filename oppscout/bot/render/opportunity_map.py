"""The opportunity map as a PNG, platform-neutral: each opportunity placed by mentions and score.

x is mentions, y is score, the bubble grows with the number of distinct people, and the number in
a bubble is the opportunity's rank in the summary. Drawn with matplotlib's object API (no pyplot
global state), so it is safe to render in a worker thread off the event loop.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from oppscout.core.contract import OpportunityResults

MAP_FILENAME = "opportunity-map.png"
MAX_POINTS = 20


def render_opportunity_map(results: OpportunityResults) -> bytes | None:
    """The map as PNG bytes, or None when there is nothing to place."""
    opportunities = results.opportunities[:MAX_POINTS]
    if not opportunities:
        return None
    figure = Figure(figsize=(7, 4.5), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    xs = [o.mentions for o in opportunities]
    ys = [o.score for o in opportunities]
    axes.scatter(xs, ys, s=[120 + 60 * o.distinct_authors for o in opportunities], alpha=0.55, color="#2a9d8f")
    for rank, (x, y) in enumerate(zip(xs, ys, strict=True), 1):
        axes.annotate(str(rank), (x, y), ha="center", va="center", fontsize=8, color="black", weight="bold")
    subs = ", ".join(f"r/{s}" for s in results.coverage.subreddits)
    axes.set_title(f"Opportunity map · {subs}" if subs else "Opportunity map", fontsize=10)
    axes.set_xlabel("mentions")
    axes.set_ylabel("score (0-100)")
    axes.set_ylim(0, 105)
    axes.set_xlim(0, max(xs) * 1.15 + 1)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
