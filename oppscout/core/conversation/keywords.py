"""Keywords in a message: "keywords: a, b", quoted phrases, "about X", "mentioning X", "for X", or the bare
topic of a terse command ("/scout r/smallbusiness invoicing last 2 weeks")."""

from __future__ import annotations

import re
from collections.abc import Sequence

from oppscout.core.conversation.numbers import NUMBER

Span = tuple[int, int]

# Where a topic phrase ends: the next part of the request (place, time, budget, alert) or punctuation.
_END = (
    r"(?=\s+(?:in|on|over|from|during|since|for|last|past|this|within|with|when|whenever|if|budget|max|cap|"
    r"limit|under|at most|up to|no more than|a lot|lately|recently|yesterday|today|please|"
    r"and (?:dm|alert|notify|ping|tell|let|send|message|email)|then)\b|\s*[,.?!;:()$]|\s*$)"
)
_PHRASE = r"(?P<kw>[A-Za-z0-9][A-Za-z0-9 '&/-]{0,60}?)"
LIST_RX = re.compile(r"\bkeywords?\s*(?:[:=]|are|is)\s*(?P<kw>[^.;\n]+)", re.IGNORECASE)
QUOTED_RX = re.compile(r"[\"“](?P<kw>[^\"“”]{2,100})[\"”]|(?<!\w)['‘](?P<single>[^'‘’]{2,100})['’](?!\w)")
ABOUT_RX = re.compile(
    # "I'm out" and "a bout" are how Whisper sometimes writes a quick "about".
    r"\b(?:about|i'm out|a bout|regarding|mentioning|mention|concerning|on the topic of|related to|to do with|"
    r"deal(?:ing)? with|coping with|cope with|handl(?:e|ing)|"
    r"(?:struggl\w*|problems?|issues?|trouble|frustrat\w*|complain\w*|pain points?|complaints?|hate|hating)"
    r"\s+(?:with|about|around|regarding|of))\s+" + _PHRASE + _END,
    re.IGNORECASE,
)
FOR_RX = re.compile(r"\bfor\s+" + _PHRASE + _END, re.IGNORECASE)
_NOT_KEYWORDS = (
    "me you us it that this them anything everything something stuff things opportunities opportunity ideas "
    "idea pain points pain point problems complaints issues products people business opportunities "
    "product opportunities what lately recently now the a an in on over from during since with when if"
)
NOT_KEYWORDS = frozenset(_NOT_KEYWORDS.split(" ")) | {
    "pain points",
    "business opportunities",
    "product opportunities",
    "product ideas",
    "new ideas",
}
FILLER_TAIL_RX = re.compile(r"\s+(?:a lot|lately|recently|these days|much|often|please|too)$", re.IGNORECASE)
ARTICLE_RX = re.compile(r"^(?:(?:the|a|an|some|any|about|regarding|mentioning|around|with|of)\s+)+", re.IGNORECASE)
TIME_WORDS_RX = re.compile(
    r"^(?:the\s+)?(?:last|past|next|\d+|a|an|one|two|three|few|couple)\b.*\b(?:hours?|days?|weeks?|months?|years?)$",
    re.IGNORECASE,
)
_COMMAND_WORDS = (
    "scout scan find look at check analyze analyse search in on the and of for subreddit subreddits r please "
    "opportunities show me last past this since ago yesterday today hour hours day days week weeks month months "
    "year years fortnight quarter budget max cap limit dollars dollar bucks cents with a an spend up to at most "
    "no more than under instead too only just also both please thanks add plus as well"
)
COMMAND_WORDS = frozenset(_COMMAND_WORDS.split())


def _blank(text: str, spans: Sequence[Span]) -> str:
    """The text with the given spans replaced by commas, so phrases stop there."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = [","] + [" "] * (end - start - 1)
    return "".join(chars)


def _clean(phrase: str) -> list[str]:
    parts = re.split(r"\s*(?:,|\band\b|\bor\b|&|\bplus\b)\s*", phrase.strip(" '-/"))
    out: list[str] = []
    for part in parts:
        part = FILLER_TAIL_RX.sub("", ARTICLE_RX.sub("", part.strip(" '-/")))
        if len(part) < 2 or part.lower() in NOT_KEYWORDS or TIME_WORDS_RX.match(part):
            continue
        out.append(part)
    return out


def _leftover(text: str) -> list[str]:
    """The bare topics of a terse command once places, times and budgets are blanked out: each part
    between commas or "and" is one topic ("r/x: payroll, taxes. 2 weeks" → payroll, taxes)."""
    phrases: list[str] = []
    for part in re.split(r"[,.;:!?()]|\band\b|&", text):
        words = [
            w
            for w in re.findall(r"[A-Za-z][A-Za-z0-9'-]*", part)
            if w.lower() not in COMMAND_WORDS and not re.fullmatch(NUMBER, w, re.IGNORECASE)
        ]
        if words:
            phrases.append(" ".join(words))
    if not phrases or sum(len(p.split()) for p in phrases) > 6:
        return []
    return [keyword for phrase in phrases for keyword in _clean(phrase)]


def find_keywords(text: str, skip: Sequence[Span] = (), *, terse: bool = False) -> list[str]:
    """Topic phrases of the message, in order, without duplicates. ``skip`` spans (subreddits, budget,
    window) are never part of a phrase; ``terse`` allows the leftover words of a command to be the topic."""
    blanked = _blank(text, skip)
    found: list[str] = []
    if m := LIST_RX.search(blanked):
        found += _clean(m.group("kw"))
    found += [(m.group("kw") or m.group("single")).strip() for m in QUOTED_RX.finditer(text)]
    if not found:
        for m in ABOUT_RX.finditer(blanked):
            found += _clean(m.group("kw"))
    if not found:
        for m in FOR_RX.finditer(blanked):
            found += _clean(m.group("kw"))
    if not found and terse:
        found = _leftover(blanked)
    unique: dict[str, str] = {}
    for keyword in found:
        unique.setdefault(keyword.lower(), keyword)
    return list(unique.values())
