"""Deterministic parsing of a chat message (typed, or a voice note's transcript) into an intent and an
analysis request draft, with what is still missing."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from oppscout.core.conversation.amounts import (
    Cadence,
    budget_unclear,
    cadence_unclear,
    find_budget,
    find_cadence,
    find_threshold,
    threshold_unclear,
)
from oppscout.core.conversation.keywords import find_keywords
from oppscout.core.conversation.subreddit_names import FuzzyName, find_subreddits
from oppscout.core.conversation.windows import find_window

if TYPE_CHECKING:
    from oppscout.core.conversation.alert_words import AlertWords

MAX_MESSAGE_CHARS = 2000
"""Only this much of a message is read: a request is a sentence or two, and the bound keeps every pattern's
time small whatever is pasted into the chat."""


MAX_DIGITS = 20
LONG_DIGITS_RX = re.compile(rf"\d{{{MAX_DIGITS + 1},}}")


def bound_text(text: str) -> str:
    """The part of a message the parser reads: digit runs cut to 20 digits (their value is "too large"
    either way, and "last <5,000 nines> days in r/freelance" keeps its subreddit), then the first
    ``MAX_MESSAGE_CHARS`` characters."""
    return LONG_DIGITS_RX.sub(lambda m: m.group()[:MAX_DIGITS], text)[:MAX_MESSAGE_CHARS]


class Intent(StrEnum):
    """What the person wants."""

    SCAN = "scan"
    WATCH = "watch"
    STATUS = "status"
    CANCEL = "cancel"
    SPEND = "spend"
    HELP = "help"


_TAIL = r"\s*(?:please|pls|thanks)?\s*[.!?]*\s*$"
HELP_RX = re.compile(
    r"^\s*(?:/\w+\s+)?(?:help(?: me)?|\?+|commands|usage|what can you do|what do you do|how does (?:this|it) work|"
    r"how do i use (?:this|you|it)|what is this|who are you|what are (?:the )?commands|examples?)" + _TAIL,
    re.IGNORECASE,
)
CANCEL_RX = re.compile(
    r"^\s*(?:/\w+\s+)?(?:cancel|stop|abort|kill|halt|terminate|never ?mind|forget it|nvm)\b"
    r"|\b(?:cancel|stop|abort|kill|halt)\s+(?:that|this|it|the|my|our)\b",
    re.IGNORECASE,
)
SPEND_RX = re.compile(
    r"\bhow much\b.*\b(?:spen[dt]|spending|charged|paid|cost us|used)\b"
    r"|\b(?:spend|spending|spent|costs?|bill|charges)\s+(?:so far|this (?:week|month|year)|to date|in total|report)\b"
    r"|\b(?:our|my|the team's|the)\s+(?:spend|spending|bill)\b"
    r"|^\s*(?:/\w+\s+)?(?:spend|spending|spent|costs?|bill|usage)" + _TAIL,
    re.IGNORECASE,
)
STATUS_RX = re.compile(
    r"^\s*(?:/\w+\s+)?(?:status|progress|update|results?|any news)" + _TAIL + r"|\bstatus\b"
    r"|\b(?:how(?:'s| is| are)|where(?:'s| is| are))\s+(?:my|the|our|it|that|things|we)\b"
    r"|\bis (?:it|my \w+|the \w+|that) (?:done|ready|finished|complete|over)\b"
    r"|\bany (?:news|results|progress|updates?)\b",
    re.IGNORECASE,
)
ADDING_RX = re.compile(r"\b(?:also|too|add|plus|as well|and also)\b", re.IGNORECASE)
NO_KEYWORDS_RX = re.compile(
    r"\b(?:no|without|drop the|remove the|clear the|any) (?:keywords?|topics?|filter)\b|\bany topic\b", re.IGNORECASE
)
WATCH_RX = re.compile(
    r"\b(?:watch|monitor|keep (?:an eye|tabs) on|track|alert me|alert us|notify me|notify us|dm me|ping me|"
    r"message me|email me|let (?:me|us) know|tell (?:me|us) when|subscribe)\b",
    re.IGNORECASE,
)


@dataclass
class ParsedMessage:
    """What one message says: intent, request fields found, and what is still missing."""

    intent: Intent
    subreddits: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    window: tuple[datetime, datetime] | None = None
    max_cost: Decimal | None = None
    threshold: int | None = None
    cadence: Cadence | None = None
    fuzzy: list[FuzzyName] = field(default_factory=list)
    llm_fields: list[str] = field(default_factory=list)
    """Fields the LLM interpreter filled in (the dialog confirms them)."""
    adding: bool = False
    """The subreddits are meant on top of earlier ones ("also r/x", "r/x too")."""
    clear_keywords: bool = False
    """The message asks for no keyword filter ("no keywords")."""
    unclear: list[str] = field(default_factory=list)
    """Fields the message tried to give but the parser could not read ("threshold high"): asked back."""
    notes: list[str] = field(default_factory=list)
    """What the parser assumed and the user should see ("budgets are in US dollars: €5 read as $5")."""
    alerts: AlertWords | None = None
    """What the message said about alerts (delivery, cost alert), read by the dialog before parsing."""

    @property
    def missing(self) -> list[str]:
        """Fields a scan or watch needs that the message did not give."""
        if self.intent in (Intent.SCAN, Intent.WATCH) and not self.subreddits:
            return ["subreddits"]
        return []

    def request_draft(self) -> dict[str, Any]:
        """The request fields found, in the camelCase contract (partial: only what the message said)."""
        request: dict[str, Any] = {"subreddits": list(self.subreddits)}
        if self.keywords:
            request["keywords"] = list(self.keywords)
        if self.window:
            request["timeRange"] = {"start": self.window[0].isoformat(), "end": self.window[1].isoformat()}
        if self.max_cost is not None:
            request["maxCost"] = float(self.max_cost)
        return request

    def to_json(self) -> dict[str, Any]:
        """``{intent, request, missing, threshold}`` (plus cadence and fuzzy names) for ``oppscout parse``."""
        return {
            "intent": self.intent.value,
            "request": self.request_draft(),
            "missing": self.missing,
            "threshold": self.threshold,
            "cadence": self.cadence.label if self.cadence else None,
            "resolved": [{"heard": f.heard, "subreddit": f.name} for f in self.fuzzy],
            "unclear": list(self.unclear),
            "notes": list(self.notes),
        }


def detect_intent(text: str, *, names_subreddits: bool) -> Intent:
    """The intent of a message. Status and spend questions never name subreddits; those are scans."""
    if not names_subreddits and HELP_RX.search(text):
        return Intent.HELP
    if CANCEL_RX.search(text):
        return Intent.CANCEL
    if not names_subreddits and SPEND_RX.search(text):
        return Intent.SPEND
    if not names_subreddits and STATUS_RX.search(text):
        return Intent.STATUS
    if WATCH_RX.search(text):
        return Intent.WATCH
    return Intent.SCAN


COMMAND_PREFIX_RX = re.compile(
    r"^[\s,.!:]*(?:(?:hey|hi|ok|okay|so|please|pls|can you|could you|would you|you|quickly|just|now|then|go|"
    r"scan|scout|find|look(?: at| into| through)?|check(?: out)?|analy[sz]e|search|dig into|pull|show me|"
    r"run|do|a|an|the|on|in|at|of|me|us|watch|monitor|track|keep an eye on|keep tabs on)\b[\s,.!:]*)*$",
    re.IGNORECASE,
)


def _only_command_words(prefix: str) -> bool:
    """Whether the words before the first subreddit only say "look" ("scan", "can you check"): then what
    follows the subreddit is the topic, as in a terse command."""
    return COMMAND_PREFIX_RX.match(prefix) is not None


def _spaced(text: str, span: tuple[int, int]) -> str:
    return text[: span[0]] + " " * (span[1] - span[0]) + text[span[1] :]


def parse(text: str, now: datetime, *, known_subreddits: Iterable[str] = ()) -> ParsedMessage:
    """Parse one message. ``known_subreddits`` (the workspace's own) help resolve spoken names.

    Unknown or partial input never raises: it yields a draft with ``missing`` filled in.
    """
    text = bound_text(text)
    mentions = find_subreddits(text, known_subreddits)
    intent = detect_intent(text, names_subreddits=bool(mentions.names))
    if intent not in (Intent.SCAN, Intent.WATCH):
        return ParsedMessage(intent=intent)
    watch = intent == Intent.WATCH
    cadence = find_cadence(text) if watch else None
    budget = find_budget(text)
    # "every 12 hours" is how often, not how far back.
    window = find_window(_spaced(text, cadence.span) if cadence else text, now)
    skip = list(mentions.spans) + ([budget.span] if budget else []) + ([window.span] if window else [])
    first = min((s for s, _ in mentions.spans), default=len(text))
    terse = text.lstrip().startswith("/") or _only_command_words(text[:first])
    if cadence:
        skip.append(cadence.span)
    unclear: list[str] = []
    if budget is None and (vague := budget_unclear(text)):
        unclear.append("budget")
        skip.append(vague)
    threshold = find_threshold(text) if watch else None
    if watch and threshold_unclear(text):
        unclear.append("threshold")
    if watch and cadence is None and cadence_unclear(text):
        unclear.append("cadence")
    notes = [n for n in (budget.note if budget else None, window.note if window else None) if n]
    return ParsedMessage(
        intent=intent,
        subreddits=mentions.names,
        keywords=find_keywords(text, skip, terse=terse, subreddit_ends=[end for _, end in mentions.spans]),
        window=(window.start, window.end) if window else None,
        max_cost=budget.value if budget else None,
        threshold=threshold,
        cadence=cadence,
        fuzzy=mentions.fuzzy,
        adding=bool(ADDING_RX.search(text)),
        clear_keywords=bool(NO_KEYWORDS_RX.search(text)),
        unclear=unclear,
        notes=notes,
    )
