"""Keywords in a message: "keywords: a, b", a list after a subreddit's colon ("r/x: a, b; last month"),
quoted phrases, "about/re/regarding/on X", "mentions X", "problems people have with X", "for X", lists of
those ("about a, b; c and d"), or the bare topic of a terse command ("scan r/teachers grading")."""

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
LIST_RX = re.compile(r"\b(?:keywords?|topics?)\s*(?:[:=]|are|is)\s*(?P<kw>[^.\n]+)", re.IGNORECASE)
COLON_LIST_RX = re.compile(r"\s*:\s*(?P<kw>[^.:\n]+)")
QUOTED_RX = re.compile(r"[\"“](?P<kw>[^\"“”]{2,100})[\"”]|(?<!\w)['‘](?P<single>[^'‘’]{2,100})['’](?!\w)")
ABOUT_RX = re.compile(
    # "I'm out" and "a bout" are how Whisper sometimes writes a quick "about".
    r"(?:\b(?:about|i'm out|a bout|regarding|mentioning|mentions?(?: of)?|concerning|on the topic of|related to|"
    r"to do with|(?:thoughts|opinions|views|feedback|advice|takes?|tips|questions|focus(?:ing)?|focused)\s+on|"
    r"deal(?:ing)? with|coping with|cope with|handl(?:e|ing)|"
    r"(?:struggl\w*|problems?|issues?|trouble|frustrat\w*|complain\w*|pain points?|complaints?|hate|hating)"
    r"\s+(?:with|about|around|regarding|of))|(?<![\w'’])re\b:?)\s+" + _PHRASE + _END,
    re.IGNORECASE,
)
# "what problems do people (in r/x) have with X": the question form of "problems with X".
HAVE_WITH_RX = re.compile(
    r"\b(?:problems?|issues?|trouble|pain points?|complaints?|struggles?|frustrations?)\s+(?:do|does|did|are|is)\s+"
    r"[^.?!]{0,80}?\b(?:have|having|had|face|facing|run into|hit)\s+(?:with|about|around|regarding)\s+"
    + _PHRASE
    + _END,
    re.IGNORECASE,
)
FOR_RX = re.compile(r"\bfor\s+" + _PHRASE + _END, re.IGNORECASE)
# More items of a list that began with one of the forms above: "about churn; pricing; onboarding".
LIST_TAIL_RX = re.compile(r"\s*(?:[,;]|\band\b|&)\s*(?:and\s+|or\s+)?" + _PHRASE.replace("{0,60}", "{0,40}") + _END)
MAX_LIST_ITEM_WORDS = 4
# A list ends where the request goes on to something else: "about churn and DM me above 70".
TAIL_STOP_RX = re.compile(
    r"^(?:dm|alert|notify|ping|tell|let|send|message|email|text|then|threshold|budget|max|cap|limit|score|scores|"
    r"when|whenever|if|every|each|daily|weekly|hourly|monthly|only|show|give|run|start|sort|rank|spend)\b|\d",
    re.IGNORECASE,
)
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
    # Time units are not here: a window is blanked before this, so a unit left over is a topic ("month end").
    "opportunities show me last past this since ago yesterday today budget max cap limit dollars dollar bucks cents with a an spend up to at most "
    "no more than under instead too only just also both please thanks add plus as well "
    # a watch's own words: "watch r/SaaS, churn, threshold eighty"
    "watch monitor track keep eye tabs alert notify ping dm message email tell let know me us when whenever "
    "threshold score scores above over anything something daily weekly hourly monthly every each percent points "
    "min minimum is high low least more than higher or up"
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


def _with_tail(text: str, m: re.Match[str]) -> list[str]:
    """The phrase of ``m`` and the list items that follow it, up to the first that is not a topic."""
    found = _clean(m.group("kw"))
    pos = m.end()
    while found and (more := LIST_TAIL_RX.match(text, pos)):
        item = more.group("kw").strip()
        cleaned = _clean(item)
        if (
            not cleaned
            or len(item.split()) > MAX_LIST_ITEM_WORDS
            or item.lower() in COMMAND_WORDS
            or TAIL_STOP_RX.search(item)
        ):
            break
        found += cleaned
        pos = more.end()
    return found


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


def find_keywords(
    text: str, skip: Sequence[Span] = (), *, terse: bool = False, subreddit_ends: Sequence[int] = ()
) -> list[str]:
    """Topic phrases of the message, in order, without duplicates. ``skip`` spans (subreddits, budget,
    window) are never part of a phrase; ``terse`` allows the leftover words of a command to be the topic;
    ``subreddit_ends`` are where subreddit names end, so a list after their colon is read."""
    blanked = _blank(text, skip)
    found: list[str] = []
    if m := LIST_RX.search(blanked):
        found += [k for part in re.split(r"[;]", m.group("kw")) for k in _clean(part)]
    for end in subreddit_ends:
        if not found and (m := COLON_LIST_RX.match(blanked, end)):
            found += [k for part in re.split(r"[;]", m.group("kw")) for k in _clean(part)]
    found += [(m.group("kw") or m.group("single")).strip() for m in QUOTED_RX.finditer(text)]
    for rx in (ABOUT_RX, HAVE_WITH_RX, FOR_RX):
        if not found:
            for m in rx.finditer(blanked):
                found += _with_tail(blanked, m)
    if not found and terse:
        found = _leftover(blanked)
    unique: dict[str, str] = {}
    for keyword in found:
        unique.setdefault(keyword.lower(), keyword)
    return list(unique.values())
