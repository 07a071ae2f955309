"""Need detection per item, in its thread's context: does this post or comment voice a problem?

The phrase rules in ``signals`` name the categories (pain, a tool request, money, switching, a
workaround, an advice request) but miss plain complaints ("this app eats half my margin").
Short comments rarely use rule phrases at all: "ugh, my payouts have been paused for a week too"
is a pain because its writer is in it (first person) and it reports trouble (a loss, a delay, a
refusal, an amount). Advice to someone else ("Try a deposit up front") is not a need however
on-topic it is. A reply close in meaning to a need-bearing post ("same, it's killing us") shares
that need. Every word list here is about how people complain, never about one business topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oppscout.core.analysis.signals import FIRST_PERSON, Signal, SignalKind, detect, sentences
from oppscout.core.corpus import ItemKind, RedditItem


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'])(?:" + "|".join(patterns) + r")(?![\w'])", re.IGNORECASE)


# Words that report trouble: losses, delays, refusals, repetition, amounts, feelings.
TROUBLE = _rx(
    r"never", r"denied", r"den(?:y|ies)", r"lost", r"los(?:e|es|ing)", r"late", r"months?", r"weeks?", r"still",
    r"ugh+", r"burn(?:ed|t)", r"stuck", r"can'?t", r"cannot", r"nobody", r"no one", r"didn'?t", r"won'?t",
    r"wouldn'?t", r"refus\w*", r"again", r"every (?:time|single|month|week)", r"same", r"fees?", r"insane\w*",
    r"ridiculous", r"killing", r"kills?", r"eat(?:s|ing)?", r"ate", r"gone", r"nothing", r"wors[et]", r"hold",
    r"held", r"waiting", r"hours", r"zero", r"half", r"most of", r"barely", r"problem\w*", r"issues?",
    r"sucks?", r"hate\w*", r"annoy\w*", r"frustrat\w*", r"nightmare\w*", r"pain\w*", r"broke", r"broken",
    r"costs?", r"expensive", r"tired", r"sick of", r"fed up", r"exhausted",
    r"struggl\w+", r"impossible", r"terrible", r"awful", r"scam\w*", r"without (?:warning|notice|reason)",
    r"free", r"extra", r"another", r"endless\w*", r"redo\w*", r"redone", r"lie[sd]?", r"theft", r"stole\w*",
    r"stolen", r"wild", r"eats? it", r"the only one", r"none", r"not even", r"no idea", r"\d+ (?:days|weeks|months)",
)  # fmt: skip
# Amounts and shares report trouble only beside another cue ("$200 tip" is good news).
AMOUNT = re.compile(r"\$\s?\d[\d,.]*k?|\d+\s?%")
# Good news: a success story or thanks, not a need, unless trouble clearly outweighs it.
GOOD_NEWS = _rx(
    r"finally", r"thank(?:s| you)", r"love[ds]?", r"grateful", r"celebrat\w*", r"milestone", r"proud", r"excited",
    r"best decision", r"paid (?:early|on time|in full)", r"went (?:great|well)", r"(?:solved|fixed) it", r"happy",
    r"recommend", r"worked (?:great|well)", r"hit \$?\d", r"launch(?:ed|ing)?", r"congrat\w*", r"wholesome",
    r"got featured", r"signed (?:the|a|our) (?:lease|deal|contract)", r"years? ago today", r"anniversary", r"\d+k? mrr",
)  # fmt: skip
# An item that opens by telling someone else what to do is advice, not its writer's need.
ADVICE = re.compile(
    r"^\W*(?:you (?:should|might|could|can|need|want|have to)|try|consider|use|look (?:at|into)|escalate|just|"
    r"get|set up|put|add|charge|require|switch|check|make|have|always|stop|don'?t|do|ask|offer|send|call|file|"
    r"read|honestly,? (?:just|try)|pro tip|tip:)\b",
    re.IGNORECASE,
)
# Replies this close in meaning to a need-bearing post share its need even without trouble words.
THREAD_SIMILARITY = 0.45
# Kinds of signal that bear a need on their own; an advice request alone is weaker.
NEED_KINDS = (
    SignalKind.PAIN,
    SignalKind.SOLUTION_REQUEST,
    SignalKind.MONEY,
    SignalKind.SWITCHING,
    SignalKind.WORKAROUND,
)


@dataclass(frozen=True)
class Need:
    """An item's need: its signals (each with the verbatim sentence) and how strong it is."""

    signals: list[Signal]
    strength: float


def _troubled(text: str, *, in_thread: bool = False) -> str | None:
    # The sentence that best shows the writer in trouble, if any does. In a need-bearing thread a
    # reply need not say "I": "they still denied it?" reports the thread's trouble.
    if len(GOOD_NEWS.findall(text)) > len(TROUBLE.findall(text)) / 2:
        return None
    best, hits = None, 0.0
    for sentence in sentences(text):
        cues = len(TROUBLE.findall(sentence))
        found = cues + 0.5 * len(AMOUNT.findall(sentence)) if cues else 0.0
        if found > hits and (FIRST_PERSON.search(sentence) or (in_thread and found >= 2)):
            best, hits = sentence, found
    return best


def detect_need(item: RedditItem, post_need: bool = False, similarity_to_post: float = 0.0) -> Need | None:
    """The item's need, or ``None`` when it voices none.

    ``post_need`` tells whether the item's post bears a need and ``similarity_to_post`` how close
    in meaning the item is to that post (for comments).
    """
    signals = [s for s in detect(item) if s.kind in NEED_KINDS or s.kind == SignalKind.ADVICE_REQUEST]
    opening = item.body if item.kind == ItemKind.COMMENT else item.title or item.body
    if ADVICE.search(opening) and not any(s.kind == SignalKind.PAIN for s in signals):
        # "Try requiring a deposit" is help for someone's need, not a need of its own.
        return None
    if item.kind == ItemKind.POST and GOOD_NEWS.search(item.title) and not TROUBLE.search(item.title):
        # "Hit $10k MRR with a boring product": a story told, whatever went wrong on the way.
        return None
    strong = [s for s in signals if s.kind in NEED_KINDS]
    sentence = _troubled(item.text, in_thread=post_need)
    if sentence is not None and not any(s.kind == SignalKind.PAIN for s in signals):
        strong.append(Signal(SignalKind.PAIN, sentence))
    if strong:
        return Need(strong + [s for s in signals if s not in strong], 1.0 + 0.25 * len(strong))
    if (
        item.kind == ItemKind.COMMENT
        and post_need
        and similarity_to_post >= THREAD_SIMILARITY
        and not GOOD_NEWS.search(item.body)
    ):
        # "same, it's killing us": the thread's need, voiced again by another person.
        first = next(iter(sentences(item.body)), item.body.strip())
        return Need([Signal(SignalKind.PAIN, first)], 0.6)
    if signals:
        # An advice request is a need, ranked below pain.
        return Need(signals, 0.4)
    return None
