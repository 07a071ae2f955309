"""Scores 0-100 from explainable parts: people, engagement, intensity, money, trend, solution gap.

Each part is a number in 0..1 that a person can check against the evidence. People and
engagement are measured on a log scale against the biggest theme of the same analysis (or a
floor, so a quiet week does not crown a two-person theme), which spreads scores across the range
instead of bunching them in the middle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from oppscout.core.analysis.signals import SignalKind
from oppscout.core.analysis.themes import Theme

WEIGHTS = {
    "people": 30.0,
    "engagement": 15.0,
    "intensity": 15.0,
    "willingness_to_pay": 15.0,
    "trend": 10.0,
    "solution_gap": 15.0,
}
# The least the biggest theme is compared against: themes of this size score full marks.
PEOPLE_FLOOR = 12
ENGAGEMENT_FLOOR = 1500


def _saturate(x: float, half: float) -> float:
    # 0 at 0, 0.5 at ``half``, approaching 1: many mentions help, with diminishing returns.
    return x / (x + half) if x > 0 else 0.0


def engagement(theme: Theme) -> int:
    """Upvotes and replies of the theme's items."""
    return sum(max(0, m.item.score) + m.item.num_comments for m in theme.members)


@dataclass(frozen=True)
class Scale:
    """What the biggest theme of an analysis reached, to measure the others against."""

    people: int = PEOPLE_FLOOR
    engagement: int = ENGAGEMENT_FLOOR

    @classmethod
    def of(cls, themes: list[Theme]) -> Scale:
        """The scale of these themes (never below the floors)."""
        return cls(
            people=max([PEOPLE_FLOOR, *(len(t.authors) for t in themes)]),
            engagement=max([ENGAGEMENT_FLOOR, *(engagement(t) for t in themes)]),
        )


def components(
    theme: Theme, window_start: datetime, window_end: datetime, scale: Scale | None = None
) -> dict[str, float]:
    """Each part in 0..1."""
    scale = scale or Scale()
    members = theme.members
    n = len(members)
    pain = sum(1 for m in members if m.has(SignalKind.PAIN))
    money = sum(1 for m in members if m.has(SignalKind.MONEY))
    asks = sum(1 for m in members if m.has(SignalKind.SOLUTION_REQUEST) or m.has(SignalKind.WORKAROUND))
    switching = sum(1 for m in members if m.has(SignalKind.SWITCHING))
    middle = window_start + (window_end - window_start) / 2
    recent = sum(1 for m in members if m.item.created_at >= middle)
    trend = (recent - (n - recent)) / n if n else 0.0
    return {
        "people": math.log1p(len(theme.authors) - 1) / math.log1p(scale.people - 1),
        "engagement": min(1.0, math.log1p(engagement(theme)) / math.log1p(scale.engagement)),
        # Share of the theme's items that voice pain, counted once per item.
        "intensity": pain / n if n else 0.0,
        "willingness_to_pay": _saturate(money, 2.0),
        "trend": (trend + 1) / 2,
        "solution_gap": _saturate(asks + 0.5 * switching, 3.0),
    }


def score(parts: dict[str, float]) -> tuple[int, dict[str, float]]:
    """The 0-100 score and each part's points."""
    points = {k: round(WEIGHTS[k] * min(1.0, max(0.0, v)), 1) for k, v in parts.items()}
    return max(0, min(100, round(sum(points.values())))), points
