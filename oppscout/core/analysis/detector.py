"""The scriptable detector: does one post or comment carry a pain or opportunity signal?

It is the per-item verdict behind ``oppscout signals FILE`` and the precision/recall figures in
docs/benchmarks.md (labels made by the rubric in docs/rubric.md). An advice request alone is
not a signal: "how do I start a food truck?" names no problem a product could solve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from oppscout.core.analysis.signals import WEIGHTS, SignalKind, detect_text

# Kinds that make an item a signal on their own.
DECISIVE = (SignalKind.PAIN, SignalKind.SOLUTION_REQUEST, SignalKind.MONEY, SignalKind.SWITCHING, SignalKind.WORKAROUND)
# A weighted signal strength of this much or more makes an item a signal.
THRESHOLD = 1.0
# What a single pain sentence in the body counts for, as a share of a clear pain.
SINGLE_PAIN = 1.0


@dataclass(frozen=True)
class Verdict:
    """The detector's answer for one item."""

    pain: bool
    categories: list[str]
    score: float


def classify(title: str, body: str) -> Verdict:
    """Classify one item from its title (may be empty) and body."""
    in_title = detect_text(title, title=True) if title else []
    signals = in_title + detect_text(body)
    kinds = sorted({s.kind for s in signals}, key=list(SignalKind).index)
    strength = sum(WEIGHTS[k] for k in kinds if k in DECISIVE and k != SignalKind.PAIN)
    pains = sum(1 for s in signals if s.kind == SignalKind.PAIN)
    if pains:
        # One passing "I hate…" in a long story is weak; pain in the title, or said twice, is not.
        strong = pains >= 2 or any(s.kind == SignalKind.PAIN for s in in_title)
        strength += WEIGHTS[SignalKind.PAIN] * (1.0 if strong else SINGLE_PAIN)
        # Pain with a request for help is a need someone is trying to meet.
        if SignalKind.ADVICE_REQUEST in kinds:
            strength += WEIGHTS[SignalKind.ADVICE_REQUEST]
    # 0..1, 0.5 at the threshold: a score to rank by, not a probability.
    score = round(1 - math.exp(-strength * math.log(2) / THRESHOLD), 3) if strength else 0.0
    return Verdict(pain=strength >= THRESHOLD, categories=[k.value for k in kinds], score=score)
