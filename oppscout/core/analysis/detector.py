"""The scriptable detector: does one post or comment carry a pain or opportunity signal?

It is the per-item verdict behind ``oppscout signals FILE`` and the precision/recall figures in
docs/benchmarks.md (labels made by the rubric in docs/rubric.md). Two layers: the rules in
``signals`` find the sentences and name the categories (pain, a tool request, money…), and the
learned model in ``learned`` weighs those hits with the post's words to decide whether the post
is a signal. A post no rule fires on is never one, so every positive verdict can show why.
An advice request alone is not a signal: "how do I start a food truck?" names no problem a
product could solve.
"""

from __future__ import annotations

from dataclasses import dataclass

from oppscout.core.analysis.learned import features, shipped_model
from oppscout.core.analysis.signals import WEIGHTS, Signal, SignalKind, detect_text

# Kinds that make an item a signal on their own in the rule layer.
DECISIVE = (SignalKind.PAIN, SignalKind.SOLUTION_REQUEST, SignalKind.MONEY, SignalKind.SWITCHING, SignalKind.WORKAROUND)


@dataclass(frozen=True)
class Verdict:
    """The detector's answer for one item: ``score`` is 0..1, and 0.5 or more is a signal."""

    pain: bool
    categories: list[str]
    score: float


def rule_strength(in_title: list[Signal], in_body: list[Signal]) -> float:
    """Weighted strength of the rule hits; 1.0 or more was the rules' own verdict of a signal."""
    signals = in_title + in_body
    kinds = {s.kind for s in signals}
    strength = sum(WEIGHTS[k] for k in kinds if k in DECISIVE and k != SignalKind.PAIN)
    if any(s.kind == SignalKind.SWITCHING for s in in_title):
        # "Alternative to WOW Analytics" as a title is the whole post: someone leaving a product.
        strength += 1.0 - WEIGHTS[SignalKind.SWITCHING]
    if SignalKind.PAIN in kinds:
        strength += WEIGHTS[SignalKind.PAIN]
        # Pain with a request for help is a need someone is trying to meet.
        if SignalKind.ADVICE_REQUEST in kinds:
            strength += WEIGHTS[SignalKind.ADVICE_REQUEST]
    return strength


def post_features(title: str, body: str) -> dict[str, float]:
    """The learned model's features of one post (what ``classify`` scores, and what training fits)."""
    in_title = detect_text(title, title=True) if title else []
    in_body = detect_text(body)
    return features(title, body, in_title, in_body, rule_strength(in_title, in_body))


def classify(title: str, body: str) -> Verdict:
    """Classify one item from its title (may be empty) and body."""
    in_title = detect_text(title, title=True) if title else []
    in_body = detect_text(body)
    kinds = sorted({s.kind for s in in_title + in_body}, key=list(SignalKind).index)
    if not kinds:
        return Verdict(pain=False, categories=[], score=0.0)
    found = features(title, body, in_title, in_body, rule_strength(in_title, in_body))
    score = round(shipped_model().probability(found), 3)
    return Verdict(pain=score >= 0.5, categories=[k.value for k in kinds], score=score)
