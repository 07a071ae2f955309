"""Signal detection: which sentences voice pain, ask for a tool, talk money, switching or workarounds.

Each signal keeps the sentence that carries it, as a verbatim slice of the item's text, so it can
be quoted with its permalink. Reddit text is only matched against patterns, never interpreted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from oppscout.core.corpus import ItemKind, RedditItem


class SignalKind(StrEnum):
    """Categories of product signal."""

    PAIN = "pain"
    SOLUTION_REQUEST = "solution_request"
    ADVICE_REQUEST = "advice_request"
    MONEY = "money"
    SWITCHING = "switching"
    WORKAROUND = "workaround"


def _rx(*patterns: str) -> re.Pattern[str]:
    # Whole words or phrases only: "exhaust" must not fire on "non-exhaustive".
    return re.compile(r"(?<![\w'])(?:" + "|".join(patterns) + r")(?![\w'])", re.IGNORECASE)


_TOOL = r"(?:tool|app|application|software|service|platform|plugin|plug-in|extension|script|program|system|solution|website|site|saas|product|option|provider|vendor|company|crm|pos|device|bookmarklet|addon|add-on)s?"
PATTERNS: dict[SignalKind, re.Pattern[str]] = {
    SignalKind.PAIN: _rx(
        r"hate", r"hated", r"hating", r"frustrat\w*", r"nightmare\w*", r"annoy(?:ed|ing|s)?", r"drives? me (?:nuts|crazy|insane|up the wall)",
        r"pain in the \w+", r"(?:am|are|been|i'?m|we'?re) (?:really |still )?struggl\w+", r"a struggle", r"tired of", r"sick of", r"fed up",
        r"wast(?:e|ed|ing) (?:\w+ )?(?:hours|time|days|money)", r"(?:is|are|it'?s) killing (?:me|us|my|our)", r"killing me",
        r"can'?t stand", r"headaches?", r"stress(?:ed|ful)", r"losing (?:money|sleep|clients|customers)",
        r"chas(?:e|ing) (?:\w+ )?(?:payments?|invoices?|clients?|people|down|money)", r"terrible", r"awful", r"exhausting",
        r"burn(?:ed|t)? ?out", r"overwhelm(?:ed|ing)", r"ridiculous", r"painful", r"ugh+", r"never (?:paid|pays?)",
        r"(?:not|never|stopped|hasn'?t|haven'?t|won'?t|didn'?t) (?:\w+ )?pa(?:y|id|ying)", r"paid late", r"late pay\w*",
        r"ghost(?:ed|ing)", r"no[- ]shows?", r"bleeding", r"scam\w*", r"froze|frozen",
        r"hav(?:e|ing) (?:a |such a )?(?:really |very )?(?:hard|tough|difficult) time", r"(?:having|have|had) (?:\w+ )?trouble",
        r"(?:it'?s|it is|is|are|so|too) (?:\w+ )?hard to (?:keep|find|get|track|manage|figure)", r"(?:i'?m|i am|we'?re|we are) (?:completely |totally |so )?lost",
        r"(?:don'?t|do not) know what to do", r"can'?t (?:seem to|figure out|find)", r"not (?:all that |very |too )?happy with",
        r"fragmented", r"too spread out", r"out of (?:my|our) (?:depth|league)", r"stay (?:the \w+ )?away from",
        r"why do you do this", r"for the love of", r"i wish (?:my|our|they|people|clients|customers)",
        r"(?:the|my|our) (?:biggest |main |only )?(?:problem|issue) (?:is|was|here)", r"problem is",
        r"(?:i'?m|i am|we'?re|we are) (?:really |so |very )?(?:stumped|desperate)", r"in the red", r"don'?t work",
        r"(?:is|are) a (?:real |huge |big )?(?:problem|issue|pain)", r"doesn'?t work", r"does not work", r"not working",
        r"downward spiral", r"please (?:don'?t|stop)", r"piece of (?:shit|crap|junk|garbage)", r"last straw",
        r"(?:can|will|would|could|is going to) kill (?:me|us)", r"(?:don'?t|do not) know where to (?:start|begin|turn)",
        r"not enough (?:income|money|revenue|customers|clients|traffic|sales|time)", r"takes forever",
        r"crash(?:es|ed|ing)", r"freez(?:es|ing)",
        r"(?:too|so|extremely|very|really|incredibly) (?:complicated|confusing|difficult|tedious|time[- ]consuming|slow)", r"(?:too|very|so) (?:expensive|high)", r"sucks",
    ),
    SignalKind.SOLUTION_REQUEST: _rx(
        r"\[smt\]", r"^smt:", r"somebody make this", r"there (?:should|needs to) be (?:a|an)", r"anyone (?:familiar|experienced) with",
        rf"(?:what|which|are there any|any good) (?:[\w/-]+ ){{0,3}}{_TOOL} (?:are|is|do|does|that|for)", r"some(?:one|body) (?:should|needs to|pls|please|could) (?:build|make|create)",
        rf"is there (?:a|an|any|some) (?:\w+ ){{0,4}}{_TOOL}", r"is there (?:a|any) way", r"is there (?:anywhere|somewhere|anyplace)",
        rf"(?:cheapest|cheap|best|good|simple|free) (?:[\w/-]+ ){{0,3}}{_TOOL}\??$",
        r"(?:been |keep )?trying to find (?:one|a|an|something)", r"i can'?t (?:believe|find) (?:there is|there'?s) no",
        rf"does any(?:one|body) (?:know|use|have) (?:of )?(?:a|an|any|some|good)? ?(?:\w+ ){{0,3}}{_TOOL}",
        rf"(?:looking|searching|search) (?:\w+ ){{0,3}}for (?:a|an|some|any|good|the best) (?:[\w/-]+ ){{0,4}}{_TOOL}",
        rf"(?:recommend(?:ed|ations?)?|suggest(?:ions?)?|recs) (?:\w+ ){{0,4}}{_TOOL}",
        rf"{_TOOL} (?:recommendations?|suggestions?)",
        rf"^(?:an?|some) (?:[\w-]+ ){{0,3}}{_TOOL} (?:that|which|to|for)",
        r"can (?:anyone|anybody|someone|you) recommend", r"what (?:\w+ ){0,3}do (?:you|y'?all|people) (?:all |guys )?use",
        r"wish (?:there was|there were|someone would|i had|i could)", r"why (?:is there no|isn'?t there)",
        rf"need (?:a|an|some) (?:\w+ ){{0,3}}{_TOOL}", r"does (?:such a|something like this|this) (?:thing )?exist",
        r"where (?:can|do|should) (?:i|we) (?:find|get|buy)", r"would love to see", rf"(?:would|i'?d) love (?:to have )?(?:a|an|some) (?:[\w-]+ ){{0,3}}{_TOOL}",
        r"it would be (?:really |very |so |super )?(?:useful|nice|helpful|handy) (?:if|to have)",
        rf"(?:an?|any) {_TOOL} that (?:can|could|would|will|lets?|allows?)",
    ),
    SignalKind.ADVICE_REQUEST: _rx(
        r"how do (?:you|i|y'?all|we)", r"any advice", r"what should i", r"any tips", r"how (?:would|should|can) i",
        r"what would you do", r"am i (?:crazy|wrong|the only)", r"is it normal", r"need (?:some )?advice", r"advice on",
        r"how does (?:it|this|that) (?:normally |usually )?work", r"any (?:ideas|thoughts|suggestions)", r"(?:please )?help",
        r"what (?:are|is) (?:my|our) options?", r"what can (?:i|we) do", r"should (?:i|we)",
    ),
    SignalKind.MONEY: _rx(
        r"i'?d (?:happily |gladly |totally |definitely )?pay", r"(?:i|we) would (?:happily |gladly |definitely )?pay",
        r"willing to pay", r"happy to pay", r"worth paying", r"take my money",
        r"pay (?:good |real )?money for", r"(?:pay|paying) (?:like |about |up to |maybe )?\$\s?\d+",
        r"shut up and take", r"(?:fees?|prices?|costs?) (?:is|are) (?:too |so |really )?(?:high|steep|expensive)",
        r"(?:cheap|cheaper|inexpensive|affordable|cost[- ]effective) (?:\w+ ){0,2}(?:way|option|alternative|solution|method)",
        r"(?:costs?|fees?) (?:are |is )?killing", r"don'?t want to spend",
    ),
    SignalKind.SWITCHING: _rx(
        r"alternatives? (?:to|for)", r"switch(?:ed|ing)? (?:away )?from", r"stop using", r"ditch(?:ing)? \w+", r"migrat\w+ (?:away )?from", r"replacements? for",
        r"cancel(?:l)?ed (?:my|our) (?:\w+ )?(?:subscription|account|plan)", r"(?:lost|losing) (?:a|me as a) customer",
        r"no longer (?:be )?support\w*", r"(?:won'?t|will not|never) (?:be )?us(?:e|ing) (?:\S+ ){0,2}(?:anymore|again)",
        r"(?:i|we) (?:now )?use \w+ (?:now |instead)",
    ),
    SignalKind.WORKAROUND: _rx(
        r"(?:i|we) (?:\w+ )?(?:use|track|keep|manage|maintain|do) (?:\w+ ){0,4}(?:in|on|with) (?:a |an |my |our )?(?:spreadsheet|excel|google sheets?|notepad|paper|sticky notes)",
        r"manually", r"by hand", r"calendar reminders?", r"sticky notes?", r"hack(?:ed)? (?:it )?together", r"duct[- ]tape\w*",
        r"workarounds?", r"copy[- ](?:and[- ])?past\w*", r"post-?its?", r"(?:i|we) have to (?:\w+ ){0,3}(?:manually|every time|each time|alt\+tab)",
        r"pen and paper", r"\[smt\]",
    ),
}  # fmt: skip

WEIGHTS: dict[SignalKind, float] = {
    SignalKind.PAIN: 1.0,
    SignalKind.SOLUTION_REQUEST: 1.5,
    SignalKind.ADVICE_REQUEST: 0.4,
    SignalKind.MONEY: 1.2,
    SignalKind.SWITCHING: 0.6,
    SignalKind.WORKAROUND: 0.6,
}
# Pain counts only when the writer owns it: "I hate chasing invoices", not "users will hate him".
FIRST_PERSON = re.compile(
    r"(?<![\w'])(?:i|i'm|i've|i'd|i'll|im|me|my|mine|we|we're|we've|our|ours|us|myself)(?![\w'])", re.IGNORECASE
)
# How far before a pain phrase (in characters) the writer's "I", "my" or "we" may stand.
OWNER_REACH = 80
# Pain that is over ("I was struggling… then I found") is a story, not a need.
PAST = re.compile(r"(?<![\w'])(?:was|were|used to|had been|got)(?![\w'])", re.IGNORECASE)
# Kinds that count only when they are the writer's own ("she is able to pay $50" is not).
OWNED = (SignalKind.PAIN, SignalKind.MONEY)
# "I'm not terrible at design" is no pain.
NEGATED = re.compile(r"(?<![\w'])(?:not|never|isn'?t|aren'?t|wasn'?t)\s+(?:\w+\s+)?$", re.IGNORECASE)
# Phrases that are complaints whoever they are addressed to.
DIRECT_PAIN = re.compile(
    r"why do you do this|for the love of|stay (?:the \w+ )?away from|please (?:don'?t|stop)", re.IGNORECASE
)

# A full stop ends a sentence only before a space or the end: "lipsum.com" and "$4.99" stay whole.
SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?=[^\s.!?]))+[.!?]*")
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
    if item.kind == ItemKind.COMMENT:
        # A reply lives in a thread about one problem: "same, it's a nightmare" is the
        # commenter's own pain even without an "I", so comments are read like titles.
        return detect_text(item.body, title=True)
    return detect_text(item.title, title=True) + detect_text(item.body) if item.title else detect_text(item.body)


def detect_text(text: str, *, title: bool = False) -> list[Signal]:
    """Every signal in ``text``, one per (kind, sentence); ``title`` when the text is a post title.

    Titles are terse ("Clients never paying on time"): they rarely say "I", so the rule that a
    pain must be the writer's own does not apply to them.
    """
    found: list[Signal] = []
    for sentence in sentences(text):
        for kind, pattern in PATTERNS.items():
            match = pattern.search(sentence)
            if match is None:
                continue
            if kind in OWNED and (
                NEGATED.search(sentence[max(0, match.start() - 12) : match.start()])
                or not (title or _owned(sentence, match.start()))
            ):
                continue
            found.append(Signal(kind, sentence))
    return found


def _owned(sentence: str, at: int) -> bool:
    if DIRECT_PAIN.search(sentence):
        return True
    # The writer must be near the feeling: "we hear about CPAs who hate their jobs" is not our pain.
    if not FIRST_PERSON.search(sentence[max(0, at - OWNER_REACH) : at + 40]):
        return False
    # "I was struggling with procrastination" (and then solved it) is not a live pain.
    return PAST.search(sentence[max(0, at - 12) : at]) is None


def strength(signals: list[Signal]) -> float:
    """Weighted sum of an item's signals."""
    return sum(WEIGHTS[s.kind] for s in signals)
