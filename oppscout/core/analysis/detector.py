"""The scriptable detector: does one post or comment carry a pain or opportunity signal?

It is the per-item verdict behind ``oppscout signals FILE`` and the precision/recall figures in
docs/benchmarks.md (labels made by the rubric in docs/rubric.md). Two layers: the rules in
``signals`` find the sentences and name the categories (pain, a tool request, money…), and the
learned model in ``learned`` weighs those hits with the post's sentence embedding (``encoder``)
to give each category a probability; the post is a signal when one is likely, and the verdict
names the categories that made it. An advice request alone is not a signal: "how do I start a
food truck?" names no problem a product could solve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from oppscout.core.analysis.encoder import bundled_encoder
from oppscout.core.analysis.learned import Vector, features, shipped_model
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


def _rules(title: str, body: str) -> tuple[list[Signal], dict[str, float]]:
    in_title = detect_text(title, title=True) if title else []
    in_body = detect_text(body)
    return in_title + in_body, features(title, body, in_title, in_body, rule_strength(in_title, in_body))


def post_features(title: str, body: str) -> dict[str, float]:
    """The learned model's named features of one post (what ``classify`` scores, and what training fits)."""
    return _rules(title, body)[1]


def embedding_text(title: str, body: str) -> str:
    """The text the encoder reads for one post: its title, then its body with whitespace folded."""
    return f"{title}\n{' '.join(body.split())}" if title else " ".join(body.split())


def embed(items: Sequence[tuple[str, str]]) -> list[Vector]:
    """Sentence embeddings of (title, body) pairs, encoded in batches."""
    return list(bundled_encoder().encode([embedding_text(title, body) for title, body in items]))


def classify(title: str, body: str) -> Verdict:
    """Classify one item from its title (may be empty) and body."""
    return classify_many([(title, body)])[0]


def classify_many(items: Sequence[tuple[str, str]]) -> list[Verdict]:
    """Classify many (title, body) items; their embeddings are computed together, which is faster."""
    return [_verdict(title, body, vector) for (title, body), vector in zip(items, embed(items), strict=True)]


def _verdict(title: str, body: str, vector: Vector) -> Verdict:
    signals, found = _rules(title, body)
    model = shipped_model()
    likely = model.category_probabilities(vector, found)
    score = round(model.signal_score(likely), 3)
    kinds = {s.kind.value for s in signals}
    if score >= 0.5:
        # A signal names what made it one: every category the model finds likely, at least its best.
        kinds |= {name for name, p in likely.items() if p >= 0.5} | {max(likely, key=likely.__getitem__)}
    else:
        # Not a signal: the rule hits stay as context (an advice request), without a decisive one.
        kinds = {kind for kind in kinds if kind == SignalKind.ADVICE_REQUEST.value}
    categories: list[str] = [kind.value for kind in SignalKind if kind.value in kinds]
    return Verdict(pain=score >= 0.5, categories=categories, score=score)
