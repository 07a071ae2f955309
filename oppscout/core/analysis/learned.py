"""The learned signal model: a logistic regression over the rule-based signals and the words of a post.

The rules in ``signals`` say *what kind* of signal a sentence carries; this model only decides
whether the post as a whole is one, weighing the rule hits against words the rules do not see
("exam", "career", "horror story"). It is trained by ``oppscout.core.analysis.training`` on the
tuning splits of the labels alone, and ships as a small JSON file beside this module, so nothing
is downloaded or trained at run time and a verdict is the same on every machine.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from oppscout.core.analysis.signals import Signal, SignalKind

WEIGHTS_FILE = Path(__file__).with_name("detector_weights.json")
# The labels were made from the title and about the first 400 characters of a post; words far
# below that mostly add noise, so the bag of words reads a little more than the labeller did.
BODY_CHARS = 1000
_WORD = re.compile(r"[a-z][a-z0-9']*|\$\d+|\[smt\]", re.IGNORECASE)


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


@dataclass(frozen=True)
class Model:
    """Weights of the logistic regression; the bias already places the decision at 0.5."""

    bias: float
    weights: dict[str, float]

    def probability(self, found: dict[str, float]) -> float:
        """How strongly the features point to a signal, 0..1; 0.5 or more is a signal."""
        z = self.bias + sum(self.weights.get(name, 0.0) * value for name, value in found.items())
        # Clamped so a very long post cannot overflow exp().
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self) -> str:
        """The model as the JSON the package ships (weights sorted, rounded, so diffs stay readable)."""
        weights = {k: round(v, 5) for k, v in sorted(self.weights.items()) if abs(v) >= 1e-5}
        return json.dumps({"bias": round(self.bias, 5), "weights": weights}, indent=0, sort_keys=True) + "\n"


@cache
def shipped_model() -> Model:
    """The model trained on the tuning labels, read once from the package."""
    raw = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    return Model(bias=float(raw["bias"]), weights={str(k): float(v) for k, v in raw["weights"].items()})
