"""Signal detection: which sentences voice pain, ask for a tool, talk money, switching or workarounds.

Each signal keeps the sentence that carries it, as a verbatim slice of the item's text, so it can
be quoted with its permalink. Reddit text is only matched against patterns, never interpreted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from oppscout.core.corpus import RedditItem


class SignalKind(StrEnum):
    """Categories of product signal."""

    PAIN = "pain"
    SOLUTION_REQUEST = "solution_request"
    ADVICE_REQUEST = "advice_request"
    MONEY = "money"
    SWITCHING = "switching"
    WORKAROUND = "workaround"


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")", re.IGNORECASE)


PATTERNS: dict[SignalKind, re.Pattern[str]] = {
    SignalKind.PAIN: _rx(
        r"hate", r"frustrat\w*", r"nightmare", r"annoy\w*", r"drives? me (?:nuts|crazy|insane|up the wall)",
        r"pain in the", r"struggl\w*", r"tired of", r"sick of", r"fed up", r"wast(?:e|ed|ing) (?:\w+ )?(?:hours|time|days)",
        r"killing me", r"can'?t stand", r"headache", r"stress\w*", r"losing (?:money|sleep|clients)",
        r"chas(?:e|ing) (?:\w+ )?(?:payments?|invoices?|clients?|people|down)", r"sucks?", r"terrible", r"awful",
        r"worst", r"exhaust\w*", r"burn(?:ed|t)? ?out", r"overwhelm\w*", r"ridiculous", r"insane", r"painful",
        r"broken", r"ugh+", r"kill me", r"never pay", r"paid late", r"late pay\w*", r"ghost\w*", r"no[- ]shows?",
        r"bleeding", r"churn(?:ed|ing)?", r"impossible", r"scam\w*", r"froze|frozen|freez\w*", r"held my",
    ),
    SignalKind.SOLUTION_REQUEST: _rx(
        r"is there (?:a|an|any) (?:\w+ ){0,3}(?:tool|app|software|service|platform|way|plugin|saas)",
        r"does any(?:one|body) (?:know|use|have) (?:of )?(?:a|an|any|something)",
        r"looking for (?:a|an|some) (?:\w+ ){0,2}(?:tool|app|software|service|solution|platform)",
        r"any (?:good )?(?:recommendations|recs|suggestions|tools|apps)", r"what do (?:you|y'?all|people) (?:all )?use",
        r"recommend (?:a|an|any)", r"wish (?:there was|there were|someone would|i had)",
        r"someone (?:should|needs to|pls|please) (?:build|make)", r"why (?:is there no|isn'?t there)",
        r"need (?:a|an) (?:\w+ ){0,2}(?:tool|app|system|way)",
    ),
    SignalKind.ADVICE_REQUEST: _rx(
        r"how do (?:you|i|y'?all)", r"any advice", r"what should i", r"any tips", r"how (?:would|should) i",
        r"what would you do", r"am i (?:crazy|wrong|the only)", r"is it normal",
    ),
    SignalKind.MONEY: _rx(
        r"i'?d (?:happily |gladly |totally )?pay", r"would (?:happily |gladly )?pay", r"willing to pay",
        r"worth paying", r"take my money", r"\$\s?\d+(?:\.\d+)?\s?(?:/|per |a )\s?(?:mo|month|yr|year|user|seat)\b",
        r"pay (?:good )?money for", r"budget for", r"shut up and take",
    ),
    SignalKind.SWITCHING: _rx(
        r"switch(?:ed|ing)? (?:from|to|away)", r"alternative(?:s)? to", r"moved (?:away )?from", r"migrat\w+ (?:from|to)",
        r"replac(?:e|ed|ing) (?:\w+ ){0,2}with", r"cancel(?:l)?ed (?:my|our) (?:\w+ )?subscription", r"dropp?(?:ed|ing) \w+ for",
    ),
    SignalKind.WORKAROUND: _rx(
        r"spreadsheets?", r"excel", r"google sheets?", r"manually", r"by hand", r"calendar reminders?",
        r"sticky notes?", r"zapier", r"hack(?:ed)? (?:it )?together", r"duct[- ]tape\w*", r"workaround", r"copy[- ]past\w*",
        r"post-?it", r"reminder emails?",
    ),
}  # fmt: skip

WEIGHTS: dict[SignalKind, float] = {
    SignalKind.PAIN: 1.0,
    SignalKind.SOLUTION_REQUEST: 1.5,
    SignalKind.ADVICE_REQUEST: 0.4,
    SignalKind.MONEY: 2.0,
    SignalKind.SWITCHING: 1.0,
    SignalKind.WORKAROUND: 1.2,
}

SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
SKIP_AUTHORS = {"automoderator", "[deleted]"}
SKIP_BODIES = {"[deleted]", "[removed]", ""}
MIN_TEXT = 15


@dataclass(frozen=True)
class Signal:
    """One signal: its kind and the verbatim sentence that carries it."""

    kind: SignalKind
    sentence: str


def is_usable(item: RedditItem) -> bool:
    """Whether an item carries real user text (not deleted, removed, a bot, or near-empty)."""
    if item.author.lower() in SKIP_AUTHORS or item.author.lower().endswith("bot"):
        return False
    body = item.body.strip()
    if body.lower() in SKIP_BODIES and not item.title:
        return False
    return len(item.text.strip()) >= MIN_TEXT


def sentences(text: str) -> list[str]:
    """Sentences of ``text``, each a verbatim slice of it (stripped of surrounding spaces)."""
    return [m.group(0).strip() for m in SENTENCE.finditer(text) if len(m.group(0).strip()) >= 3]


def detect(item: RedditItem) -> list[Signal]:
    """Every signal in an item, one per (kind, sentence)."""
    found: list[Signal] = []
    for sentence in sentences(item.text):
        for kind, pattern in PATTERNS.items():
            if pattern.search(sentence):
                found.append(Signal(kind, sentence))
    return found


def strength(signals: list[Signal]) -> float:
    """Weighted sum of an item's signals."""
    return sum(WEIGHTS[s.kind] for s in signals)
