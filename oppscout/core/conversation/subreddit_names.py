"""Subreddit names in a message: typed (``r/x``, ``/r/x``, ``r/a+b``) or as Whisper writes them.

Whisper hears "r slash small business" as "our slash small business", "are slash smallbusiness" or
"r-slash-smallbusiness", and sometimes mishears a name ("free lands" for "freelance"). Spoken names are
joined back into one word and, when they match no subreddit exactly, resolved to the closest name the
workspace or the built-in list knows. A fuzzy resolution is reported, so the dialog confirms it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources import files

from oppscout.core.contract.request import SUBREDDIT_PATTERN

# Business and tech subreddits people ask about most; the workspace's own history is added to these.
KNOWN_SUBREDDITS: tuple[str, ...] = (
    "smallbusiness", "Entrepreneur", "startups", "freelance", "SaaS", "Accounting", "sysadmin", "marketing",
    "SEO", "webdev", "web_design", "SomebodyMakeThis", "techsupport", "productivity", "advertising", "business",
    "forhire", "socialmedia", "ecommerce", "shopify", "sales", "digital_marketing", "PPC", "content_marketing",
    "EmailMarketing", "Bookkeeping", "tax", "personalfinance", "realestate", "consulting", "agency",
    "copywriting", "graphic_design", "photography", "humanresources", "recruiting", "ProductManagement",
    "sidehustle", "EntrepreneurRideAlong", "indiehackers", "nocode", "programming", "devops", "dataengineering",
    "datascience", "MachineLearning", "legaladvice", "restaurateur", "KitchenConfidential", "teachers",
    "nursing", "Etsy", "AmazonSeller", "FulfillmentByAmazon", "dropship", "juststart", "growmybusiness",
    "Freelancers", "msp", "ITManagers", "CustomerSuccess", "projectmanagement", "excel", "Notion",
)  # fmt: skip


@cache
def popular_subreddits() -> tuple[str, ...]:
    """The shipped list of popular subreddit names (``data/popular_subreddits.txt``), for exact matches."""
    text = files("oppscout.core.conversation").joinpath("data/popular_subreddits.txt").read_text("utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@cache
def _known_keys() -> tuple[str, ...]:
    return tuple(dict.fromkeys(n.lower() for n in KNOWN_SUBREDDITS))


@cache
def _built_in_by_key() -> dict[str, str]:
    by_key: dict[str, str] = {}
    for name in [*KNOWN_SUBREDDITS, *popular_subreddits()]:
        by_key.setdefault(name.lower(), name)
    return by_key


@lru_cache(maxsize=256)
def vocabulary_for(known: tuple[str, ...]) -> Vocabulary:
    """The (cached) vocabulary of a workspace's known names: building one per message was most of a parse."""
    return Vocabulary(known)


# Words that end a spoken name: "r slash small business AND r slash …", "r slash SaaS FOR churn".
_STOP_WORDS = (
    "and or for about in on over from during since the a an last past this with to of by at than budget max cap "
    "limit under when if that which who is are was were be alert notify dm ping tell let watch scan find check "
    "look analyze analyse keywords keyword mentioning regarding around please yesterday today"
)
STOP_WORDS = frozenset(_STOP_WORDS.split())
FUZZY_CUTOFF = 0.7
MAX_SPOKEN_WORDS = 4
MAX_NAME_LENGTH = 21

WRITTEN_RX = re.compile(r"(?<![\w/])/?r/(?P<names>[A-Za-z0-9_]{2,21}(?:\+[A-Za-z0-9_]{2,21})*)\b", re.IGNORECASE)
SPOKEN_RX = re.compile(r"\b(?:r|our|are|ar|or)\s*(?:-|\s)\s*(?:slash|sash)\s*(?:-|\s)\s*", re.IGNORECASE)
# Bounded separators keep a run of 20,000 dashes linear.
WORD_RX = re.compile(r"[ \t-]{0,3}([A-Za-z0-9_]{1,40})")
LIST_RX = re.compile(r"\s*(?:,|\+|&|\band\b|\bor\b)\s*(?:and\s+|or\s+)?", re.IGNORECASE)
SUBREDDIT_WORD_RX = re.compile(r"(?<=[A-Za-z0-9_])\s+sub(?:reddit)?s?\b", re.IGNORECASE)
# "subreddit real estate investing", "the sub called personal finance": only known names count here.
SUBREDDIT_PREFIX_RX = re.compile(r"\bsub(?:reddit)?\s+(?:called\s+|named\s+)?", re.IGNORECASE)
BEFORE_TOKEN_RX = re.compile(r"[A-Za-z0-9_]{1,40}|,|&|;|\+", re.IGNORECASE)
LOOK_BACK_CHARS = 200


@dataclass(frozen=True)
class FuzzyName:
    """A spoken name that matched no subreddit exactly and was taken to mean ``name``."""

    heard: str
    name: str


@dataclass
class SubredditMentions:
    """The subreddits a message names, what was resolved fuzzily, and where they are in the text."""

    names: list[str] = field(default_factory=list)
    fuzzy: list[FuzzyName] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)

    def add(self, name: str, span: tuple[int, int]) -> None:
        """Add a name once (Reddit names are case-insensitive) and remember where it was."""
        self.spans.append(span)
        if SUBREDDIT_PATTERN.fullmatch(name) and name.lower() not in {n.lower() for n in self.names}:
            self.names.append(name)


class Vocabulary:
    """Subreddit names we know, by lower-case key, keeping the display case Reddit uses."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        own = list(extra)
        # The workspace's own names come first so their spelling wins over the built-in lists.
        self.by_key: dict[str, str] = dict(_built_in_by_key())
        for name in reversed(own):
            self.by_key[name.lower()] = name
        # Near misses are only resolved against these: a guess among hundreds of names is rarely right.
        self.fuzzy_keys = tuple(dict.fromkeys([*(n.lower() for n in own), *_known_keys()]))
        self.listable = frozenset(self.fuzzy_keys)
        """Names that may follow another without their own "r/" ("r/smallbusiness, freelance")."""

    def exact(self, candidate: str) -> str | None:
        """The known name equal to ``candidate`` ignoring case."""
        return self.by_key.get(candidate.lower())

    def closest(self, candidate: str) -> tuple[str, float] | None:
        """The most similar known name and its similarity (1 - edits / length), when similar enough."""
        key = candidate.lower()
        if not 4 <= len(key) <= 2 * MAX_NAME_LENGTH:
            return None
        # Names whose length alone puts them below the cutoff are not compared letter by letter.
        scored = [
            (similarity(key, known), known)
            for known in self.fuzzy_keys
            if abs(len(known) - len(key)) <= (1 - FUZZY_CUTOFF) * max(len(known), len(key))
        ]
        if not scored:
            return None
        score, best = max(scored, key=lambda pair: (pair[0], -len(pair[1])))
        return (self.by_key[best], score) if score >= FUZZY_CUTOFF else None


def similarity(a: str, b: str) -> float:
    """1 minus the edit distance over the longer length: "freelands" is nearer "freelance" than "freelancers"."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return 1 - previous[-1] / max(len(a), len(b), 1)


def _spoken_words(text: str, pos: int) -> list[re.Match[str]]:
    words: list[re.Match[str]] = []
    while len(words) < MAX_SPOKEN_WORDS:
        match = WORD_RX.match(text, pos)
        if not match or (words and match.group(1).lower() in STOP_WORDS):
            break
        words.append(match)
        pos = match.end()
    return words


def _resolve_spoken(words: list[re.Match[str]], vocabulary: Vocabulary) -> tuple[str, int, FuzzyName | None]:
    """The name the spoken words stand for, how many words it used, and whether that was a guess."""
    tokens = [w.group(1) for w in words]
    for k in range(len(tokens), 0, -1):
        known = vocabulary.exact("".join(tokens[:k]))
        if known:
            return known, k, None
    best: tuple[str, float, int] | None = None
    for k in range(1, len(tokens) + 1):
        found = vocabulary.closest("".join(tokens[:k]))
        if found and (best is None or found[1] >= best[1]):
            best = (found[0], found[1], k)
    if best:
        return best[0], best[2], FuzzyName(" ".join(tokens[: best[2]]), best[0])
    return tokens[0], 1, None


def _continuation(text: str, pos: int, vocabulary: Vocabulary) -> tuple[str, int] | None:
    """A known name listed right after another without its own "r/": "r/smallbusiness, freelance and SaaS".

    Only the short built-in list and the workspace's names count here: the popular list holds everyday words
    (r/Budget, r/news, r/jobs), and "r/startups, budget £3" names one subreddit, not two.
    """
    sep = LIST_RX.match(text, pos)
    if not sep:
        return None
    words = _spoken_words(text, sep.end())
    for k in range(len(words), 0, -1):
        joined = "".join(w.group(1) for w in words[:k]).lower()
        if joined in vocabulary.listable and (known := vocabulary.exact(joined)):
            return known, words[k - 1].end()
    return None


def _names_before(text: str, end: int, vocabulary: Vocabulary) -> tuple[int, list[str]] | None:
    """Known names listed right before "subreddit(s)": "the personal finance subreddit", "the smallbusiness
    and freelance subs". Each listed part ends in a name (its longest known run of words); all must be known."""
    base = max(0, end - LOOK_BACK_CHARS)
    tokens = list(BEFORE_TOKEN_RX.finditer(text, base, end))
    parts: list[list[re.Match[str]]] = [[]]
    for token in tokens:
        if token.group() in ",&;+" or token.group().lower() == "and":
            parts.append([])
        else:
            parts[-1].append(token)
    names: list[str] = []
    start = end
    for part in reversed([p for p in parts if p]):
        found = None
        for k in range(min(MAX_SPOKEN_WORDS, len(part)), 0, -1):
            if known := vocabulary.exact("".join(t.group() for t in part[-k:])):
                found = (part[-k].start(), known)
                break
        if found is None:
            break
        start, names = found[0], [found[1], *names]
        if found[0] != part[0].start():
            break  # words before the name ("what's in the"): the list starts here
    return (start, names) if names else None


def find_subreddits(text: str, known: Iterable[str] = ()) -> SubredditMentions:
    """Every subreddit named in ``text``, in order of mention."""
    vocabulary = vocabulary_for(tuple(known))
    found = SubredditMentions()
    hits: list[tuple[int, int, list[str], FuzzyName | None]] = []
    for match in WRITTEN_RX.finditer(text):
        hits.append((match.start(), match.end(), match.group("names").split("+"), None))
    for match in SPOKEN_RX.finditer(text):
        words = _spoken_words(text, match.end())
        if not words:
            continue
        name, used, fuzzy = _resolve_spoken(words, vocabulary)
        hits.append((match.start(), words[used - 1].end(), [name], fuzzy))
    for match in SUBREDDIT_WORD_RX.finditer(text):
        if named := _names_before(text, match.start(), vocabulary):
            hits.append((named[0], match.end(), named[1], None))
    for match in SUBREDDIT_PREFIX_RX.finditer(text):
        words = _spoken_words(text, match.end())
        for k in range(len(words), 0, -1):
            if known_name := vocabulary.exact("".join(w.group(1) for w in words[:k])):
                hits.append((match.start(), words[k - 1].end(), [known_name], None))
                break
    for start, end, names, fuzzy in sorted(hits, key=lambda h: h[0]):
        if any(s <= start < e for s, e in found.spans):
            continue
        for name in names:
            found.add(name, (start, end))
        if fuzzy:
            found.fuzzy.append(fuzzy)
        pos = end
        while (more := _continuation(text, pos, vocabulary)) is not None:
            found.add(more[0], (pos, more[1]))
            pos = more[1]
    return found


def answer_subreddits(text: str, known: Iterable[str] = ()) -> SubredditMentions:
    """Subreddits in an answer to "Which subreddits?", where people drop the ``r/``: "smallbusiness and
    freelance", "small business, SaaS". Each listed part of at most three words is one name."""
    vocabulary = vocabulary_for(tuple(known))
    found = SubredditMentions()
    pos = 0
    for part in re.split(r"\s*(?:,|\+|&|;|\band\b|\bor\b|\bplus\b)\s*", text):
        start = text.find(part, pos)
        pos = start + len(part)
        words = list(WORD_RX.finditer(part.replace("r/", " ").strip(" .!?")))
        if not words or len(words) > MAX_SPOKEN_WORDS:
            continue
        name, used, fuzzy = _resolve_spoken(words, vocabulary)
        if used != len(words) or (fuzzy is None and not vocabulary.exact(name) and len(words) > 1):
            continue
        found.add(name, (start, pos))
        if fuzzy:
            found.fuzzy.append(fuzzy)
    return found
