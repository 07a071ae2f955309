"""Scores 0-100 from explainable parts: people, engagement, intensity, money, trend, solution gap."""

from __future__ import annotations

import math
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


def _saturate(x: float, half: float) -> float:
    # 0 at 0, 0.5 at ``half``, approaching 1: many mentions help, with diminishing returns.
    return x / (x + half) if x > 0 else 0.0


def components(theme: Theme, window_start: datetime, window_end: datetime) -> dict[str, float]:
    """Each part in 0..1."""
    members = theme.members
    n = len(members)
    engagement = sum(max(0, m.item.score) + m.item.num_comments for m in members)
    pain = sum(1 for m in members for s in m.signals if s.kind == SignalKind.PAIN)
    money = sum(1 for m in members if m.has(SignalKind.MONEY))
    asks = sum(1 for m in members if m.has(SignalKind.SOLUTION_REQUEST) or m.has(SignalKind.WORKAROUND))
    switching = sum(1 for m in members if m.has(SignalKind.SWITCHING))
    middle = window_start + (window_end - window_start) / 2
    recent = sum(1 for m in members if m.item.created_at >= middle)
    trend = (recent - (n - recent)) / n if n else 0.0
    return {
        "people": _saturate(len(theme.authors) - 1, 6),
        "engagement": min(1.0, math.log1p(engagement) / math.log1p(1500)),
        "intensity": _saturate(pain / n if n else 0, 1.0),
        "willingness_to_pay": _saturate(money, 1.5),
        "trend": (trend + 1) / 2,
        "solution_gap": _saturate(asks + 0.5 * switching, 3),
    }


def score(parts: dict[str, float]) -> tuple[int, dict[str, float]]:
    """The 0-100 score and each part's points."""
    points = {k: round(WEIGHTS[k] * v, 1) for k, v in parts.items()}
    return max(0, min(100, round(sum(points.values())))), points
