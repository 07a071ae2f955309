"""The learned signal model: per-category logistic regressions over what a post means and what the rules found.

The rules in ``signals`` say *what kind* of signal a sentence carries; this model decides whether
the post as a whole is one. It reads the post's sentence embedding (``encoder``: what it is about,
beyond the phrases the rules know), named rule features (rule hits, and word groups the rubric
weighs: a career or exam worry, a launch, a survey of other people) and the title's and body's
words. One regression per decisive category (pain, a tool request, money, switching, a
workaround) gives that category's probability; the post is a signal when any category is likely
(noisy-OR). Training (``oppscout.core.analysis.training``) uses the tuning splits of the labels
alone, and the weights ship as a JSON file beside this module, so nothing is downloaded or
trained at run time and a verdict is the same on every machine.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt

from oppscout.core.analysis.signals import Signal, SignalKind

WEIGHTS_FILE = Path(__file__).with_name("detector_weights.json")
# The labels were made from the title and about the first 400 characters of a post; words far
# below that mostly add noise, so words are read in a little more than the labeller read.
BODY_CHARS = 1000
_WORD = re.compile(r"[a-z][a-z0-9']*|\$\d+|\[smt\]", re.IGNORECASE)
# Categories that make a post a signal, each with its own regression.
CATEGORIES = (
    SignalKind.PAIN,
    SignalKind.SOLUTION_REQUEST,
    SignalKind.MONEY,
    SignalKind.SWITCHING,
    SignalKind.WORKAROUND,
)
Vector = npt.NDArray[np.float32]


def _words(text: str) -> set[str]:
    tokens = [t.lower().strip("'") for t in _WORD.findall(text)]
    # Bigrams carry the negations and phrases ("not paying", "looking for") single words lose.
    return set(tokens) | {f"{a} {b}" for a, b in itertools.pairwise(tokens)}


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'])(?:" + "|".join(patterns) + r")(?![\w'])", re.IGNORECASE)


# Word groups the rules do not weigh but the rubric does: a career or exam worry, a launch or a
# story, a survey of other people, is not a product signal however painful it sounds; a request
# shaped like "A … app that …" is one even with no "is there". One weight per group generalises
# from a few hundred labels where one weight per word cannot.
GROUPS: dict[str, re.Pattern[str]] = {
    "career": _rx(
        r"exams?", r"cpa", r"careers?", r"interview\w*", r"internships?", r"salary", r"degree", r"college",
        r"universit(?:y|ies)", r"school", r"boss", r"resumes?", r"recruit\w*", r"graduat\w*", r"students?",
        r"stud(?:y|ying)", r"big ?4", r"job offer", r"my job", r"a job", r"hired", r"promot\w+", r"coworkers?",
    ),
    "launch": _rx(
        r"(?:i|we) (?:just )?(?:launched|built|made|created|released|sold)", r"feedback", r"check (?:it|us|out)",
        r"i?ama", r"show off", r"beta", r"announc\w+", r"we hit", r"our (?:new )?(?:site|app|startup)",
    ),
    "survey": _rx(
        r"what'?s your", r"what (?:is|are) your", r"how (?:do|did) you guys", r"anyone else", r"share your",
        r"let'?s (?:talk|hear|share)", r"who'?s hiring", r"what do you think",
    ),
    "story": _rx(r"story", r"stories", r"tales?", r"today i", r"lol", r"haha\w*", r"funny"),
    "request": _rx(
        r"\[?smt\]?", r"somebody make this",
        r"an? (?:\w+ ){0,3}(?:app|tool|website|site|extension|program|addon|add-on|plugin|script|service|device|game)",
    ),
    "looking": _rx(
        r"looking for", r"recommend\w*", r"alternatives?", r"where can i", r"is there (?:a|an|any)",
        r"any (?:good )?(?:apps?|tools?|software|services?|sites?|websites?)",
    ),
    "problem": _rx(
        r"problems?", r"issues?", r"trouble", r"difficult\w*", r"hard", r"help", r"stuck", r"worried", r"nervous",
        r"can'?t", r"won'?t", r"unable",
    ),
}  # fmt: skip
_A_THING = re.compile(r"\s*(?:\[smt\]|smt)?\s*[:-]?\s*(?:an?|some) ", re.IGNORECASE)
_LINK_ONLY = re.compile(r"\s*\S*https?://\S+\s*")


def features(title: str, body: str, in_title: list[Signal], in_body: list[Signal], rule: float) -> dict[str, float]:
    """The named features of one post from its text, its rule signals and the rules' strength.

    ``r:`` are rule hits and word groups, ``t:`` title words, ``b:`` body words.
    """
    found: dict[str, float] = {"r:rule_strength": min(rule, 3.0) / 3.0}
    if rule >= 1.0:
        found["r:rule_verdict"] = 1.0
    for kind in SignalKind:
        if any(s.kind == kind for s in in_title):
            found[f"r:title:{kind.value}"] = 1.0
        body_hits = sum(1 for s in in_body if s.kind == kind)
        if body_hits:
            # Diminishing: a third pain sentence says less than the first.
            found[f"r:body:{kind.value}"] = math.log1p(body_hits)
    head = body[:BODY_CHARS]
    for group, pattern in GROUPS.items():
        if pattern.search(title):
            found[f"r:title:{group}"] = 1.0
        hits = len(pattern.findall(head))
        if hits:
            found[f"r:body:{group}"] = min(hits, 3) / 3
    if title.strip().endswith("?"):
        found["r:title_question"] = 1.0
    if _A_THING.match(title):
        found["r:title_a_thing"] = 1.0
    if len(body.strip()) < 200:
        found["r:short_body"] = 1.0
    if _LINK_ONLY.fullmatch(body):
        found["r:link_only"] = 1.0
    for word in _words(title):
        found[f"t:{word}"] = 1.0
    for word in _words(head):
        found[f"b:{word}"] = 1.0
    return found


def _sigmoid(z: float) -> float:
    # Clamped so an extreme score cannot overflow exp().
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True)
class CategoryModel:
    """One category's logistic regression: a bias, a weight per embedding dimension, a weight per named feature."""

    bias: float
    embedding: tuple[float, ...]
    weights: Mapping[str, float]

    def probability(self, embedding: Vector, found: Mapping[str, float]) -> float:
        """How likely the post carries this category, 0..1."""
        z = self.bias + float(np.dot(self._vector, embedding))
        z += sum(self.weights.get(name, 0.0) * value for name, value in found.items())
        return _sigmoid(z)

    @cached_property
    def _vector(self) -> npt.NDArray[np.float64]:
        # Converted once: a verdict scores five categories, and a run scores thousands of posts.
        return np.asarray(self.embedding, dtype=np.float64)

    def as_json(self) -> dict[str, object]:
        """Rounded, sorted weights, so the shipped file stays small and its diffs readable."""
        return {
            "bias": round(self.bias, 5),
            "embedding": [round(v, 5) for v in self.embedding],
            "weights": {k: round(v, 5) for k, v in sorted(self.weights.items()) if abs(v) >= 1e-5},
        }


@dataclass(frozen=True)
class Model:
    """The per-category regressions and the signal probability at which a post counts as a signal."""

    categories: Mapping[str, CategoryModel]
    cutoff: float

    def category_probabilities(self, embedding: Vector, found: Mapping[str, float]) -> dict[str, float]:
        """Each decisive category's probability for one post."""
        return {name: model.probability(embedding, found) for name, model in self.categories.items()}

    def signal_score(self, likely: Mapping[str, float]) -> float:
        """How strongly a post with these category probabilities is a signal, 0..1, ``cutoff`` moved to 0.5.

        The post is a signal when any category is (noisy-OR of the categories); the shift keeps
        the verdict's contract: 0.5 or more is a signal.
        """
        miss = 1.0
        for p in likely.values():
            miss *= 1.0 - p
        signal = min(max(1.0 - miss, 1e-9), 1 - 1e-9)
        return _sigmoid(math.log(signal / (1 - signal)) - math.log(self.cutoff / (1 - self.cutoff)))

    def to_json(self) -> str:
        """The model as the JSON the package ships."""
        raw = {"cutoff": self.cutoff, "categories": {k: m.as_json() for k, m in sorted(self.categories.items())}}
        return json.dumps(raw, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Model:
        """Read a model written by ``to_json``."""
        raw = json.loads(text)
        return cls(
            categories={
                str(name): CategoryModel(
                    bias=float(m["bias"]),
                    embedding=tuple(float(v) for v in m["embedding"]),
                    weights={str(k): float(v) for k, v in m["weights"].items()},
                )
                for name, m in raw["categories"].items()
            },
            cutoff=float(raw["cutoff"]),
        )


@cache
def shipped_model() -> Model:
    """The model trained on the tuning labels, read once from the package."""
    return Model.from_json(WEIGHTS_FILE.read_text(encoding="utf-8"))
