"""The opportunity map: a PNG to attach in chat (x: pain intensity, y: demand, bubble: willingness to pay).

Drawn with matplotlib's object API (no pyplot global state), so several maps can be rendered at once
in worker threads off the event loop.
"""

from __future__ import annotations

import io
import textwrap

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from oppscout.core.analysis.scoring import WEIGHTS
from oppscout.core.contract import Opportunity, OpportunityResults

MAP_FILENAME = "opportunity-map.png"
MAX_BUBBLES = 10


def axes_of(opportunity: Opportunity) -> tuple[float, float, float]:
    """(pain intensity, demand, willingness to pay), each 0..1, from the score's parts."""
    parts = opportunity.score_breakdown

    def share(*names: str) -> float:
        top = sum(WEIGHTS[n] for n in names)
        return sum(parts.get(n, 0.0) for n in names) / top if top else 0.0

    return share("intensity"), share("people", "engagement"), share("willingness_to_pay")


def render_map(results: OpportunityResults, *, title: str = "Opportunity map") -> bytes:
    """The map as PNG bytes; an analysis without opportunities gets a map that says so."""
    figure = Figure(figsize=(9, 6.5), dpi=110)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.05, 1.1)
    ax.set_xlabel("Pain intensity (share of mentions voicing pain)")
    ax.set_ylabel("Demand (people and engagement)")
    subs = ", ".join(f"r/{s}" for s in results.coverage.subreddits)
    ax.set_title(f"{title} · {subs}" if subs else title)
    ax.grid(alpha=0.3)
    shown = results.opportunities[:MAX_BUBBLES]
    if not shown:
        ax.text(0.5, 0.5, "No clear opportunities in this window", ha="center", va="center", fontsize=13)
    for rank, opp in enumerate(shown, 1):
        x, y, money = axes_of(opp)
        # Area grows with willingness to pay; a floor keeps themes without money talk visible.
        ax.scatter([x], [y], s=150 + 2200 * money, alpha=0.45, edgecolors="black", linewidths=0.6)
        label = f"{rank}. " + textwrap.shorten(opp.title, 38, placeholder="…") + f" ({opp.score})"
        # Alternate labels above and below so neighbours in a cluster stay readable.
        ax.annotate(label, (x, y), xytext=(6, 6 if rank % 2 else -12), textcoords="offset points", fontsize=8)
    ax.text(1.0, -0.12, "bubble size: willingness to pay", transform=ax.transAxes, ha="right", fontsize=8, color="gray")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def render_opportunity_map(results: OpportunityResults) -> bytes | None:
    """The map to attach to a summary, or None when there is nothing to place."""
    return render_map(results) if results.opportunities else None
