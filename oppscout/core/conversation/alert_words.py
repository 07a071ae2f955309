"""What a message says about its alerts: where they go ("email me", "DM me", "both", "email pat@example.com"),
when spend should be reported ("tell me when it has cost $1", "warn me at 80%"), and values past a limit
("alert me above 500", "every 1 second") that the dialog must name and ask about instead of replacing.

These phrases are read before the request parser runs and blanked out of the text it reads, so an address
is never taken for keywords and "$1" in a cost alert is never taken for the budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from oppscout.core.conversation.amounts import (
    THRESHOLD_PLUS_RX,
    THRESHOLD_RX,
    Cadence,
    find_cadence,
    find_threshold,
    threshold_unclear,
)
from oppscout.core.conversation.numbers import DIGITS, NUMBER, to_number
from oppscout.core.conversation.parser import Intent, ParsedMessage
from oppscout.core.wording import usd

Span = tuple[int, int]

DM, EMAIL, BOTH = "dm", "email", "both"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
"""The format an email address must have (one @, a dot in the domain, no spaces)."""

SHORTEST_CADENCE_HOURS = 1
LONGEST_CADENCE_HOURS = 24 * 31
"""A watch runs at least hourly and at most about monthly (the watch service's limits)."""

ADDRESS_RX = re.compile(r"(?:\be-?mail(?:\s+(?:me|us|it|them))?\s+(?:at|to)\s+|\b(?:to|at)\s+)?(?P<a>\S+@\S+)", re.I)
BOTH_RX = re.compile(
    r"\b(?:dm|message|ping|slack)\s+(?:me\s+|us\s+)?(?:and|&|\+|or|and also)\s+e-?mail\b"
    r"|\be-?mail\s+(?:me\s+|us\s+)?(?:and|&|\+|and also)\s+(?:dm|message|ping)\b"
    r"|\b(?:by|via|through)\s+both\b|^\s*both(?:\s+(?:please|pls))?\s*[.!]*\s*$|\bboth\s+(?:dm|email)\b",
    re.I,
)
EMAIL_WORD_RX = re.compile(r"\be-?mail\s+(?:me|us)\b|\b(?:by|via|through|over)\s+e-?mail\b|\be-?mail\s+only\b", re.I)
DM_WORD_RX = re.compile(
    r"\b(?:dm|direct message|message|ping|slack)\s+(?:me|us)\b|\b(?:by|via|through|in|over)\s+(?:a\s+)?dms?\b"
    r"|\bdm\s+only\b",
    re.I,
)

_COST_LEAD = (
    r"\b(?:(?:tell|let|warn|alert|notify|ping|dm|email|message|remind)\s+(?:me|us)(?:\s+know)?"
    r"|cost\s+(?:alert|threshold|warning))"
)
_COST_MID = (
    r"(?:\s*(?:[:=]|(?:when|if|once|as soon as|after|at|of|is|it|its|it's|spend|spending|the|cost|costs|has|have|"
    r"reached|reaches|reach|hits|hit|passes|passed|gets to|goes|went|over|above|past|beyond|more than|exceeds|"
    r"exceeded|total|so far|spent|this|that|analysis|watch|run|budget|by|via|e-?mail|dms?)\b))*"
)
COST_RX = re.compile(
    _COST_LEAD + _COST_MID + r"\s*"
    rf"(?:\$\s?(?P<usd>{DIGITS})|(?P<pct>{DIGITS})\s?(?:%|percent)|(?P<cents>{DIGITS})\s?(?:cents?|¢)"
    rf"|(?P<dollars>{DIGITS})\s?(?:dollars?|bucks?|usd))(?:\s+of\s+(?:the|my|its|our)\s+budget)?",
    re.I,
)
TOO_OFTEN_RX = re.compile(
    rf"\b(?:every|each)\s+(?:(?P<n>{NUMBER})\s+)?(?P<unit>seconds?|secs?|minutes?|mins?)\b"
    r"|\b(?:(?P<word>secondly|minutely)|every\s+(?:single\s+)?(?:moment|instant))\b",
    re.I,
)
LONG_CADENCE_RX = re.compile(
    rf"\b(?:every|each)\s+(?P<n>{NUMBER})\s+(?P<unit>days?|weeks?|months?|years?)\b|\b(?P<word>yearly|annually)\b",
    re.I,
)
UNIT_HOURS = {"day": 24, "week": 168, "month": 720, "year": 8760}


@dataclass(frozen=True)
class CostAlert:
    """When to report spend: a dollar amount, or a percentage of the budget."""

    amount: Decimal | None = None
    percent: Decimal | None = None

    def as_text(self) -> str:
        """How the draft stores it: "1.50" or "80%"."""
        return f"{self.percent}%" if self.percent is not None else str(self.amount)

    @classmethod
    def from_text(cls, raw: str) -> CostAlert:
        """Read the stored form back."""
        if raw.endswith("%"):
            return cls(percent=Decimal(raw[:-1]))
        return cls(amount=Decimal(raw))

    def against(self, budget: Decimal) -> Decimal:
        """The amount this alert fires at for a budget (a percentage is of the budget)."""
        if self.percent is not None:
            return plain((budget * self.percent / 100).quantize(Decimal("0.0001")))
        assert self.amount is not None
        return self.amount

    def describe(self, budget_word: str = "the budget") -> str:
        """'$1.00' or '80% of the budget'."""
        return f"{self.percent}% of {budget_word}" if self.percent is not None else usd(self.amount or Decimal(0))


@dataclass
class AlertWords:
    """What one message said about alerts; None or empty where it said nothing."""

    delivery: str | None = None
    """DM, EMAIL or BOTH."""
    address: str | None = None
    bad_address: str | None = None
    cost: CostAlert | None = None
    bad_cost: str | None = None
    score_over: int | None = None
    """A score threshold past 100 ("above 500")."""
    too_often: str | None = None
    """A cadence shorter than hourly, as said ("every 1 second")."""
    too_rare: str | None = None
    """A cadence longer than the longest a watch runs ("every 2 months")."""
    spans: list[Span] = field(default_factory=list)


def _amount(raw: str) -> Decimal:
    return plain(Decimal(raw.replace(",", "")))


def plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and never in exponent form (80, not 8E+1; 0.5, not 0.50)."""
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


def _cost(m: re.Match[str]) -> CostAlert:
    if m.group("pct"):
        return CostAlert(percent=_amount(m.group("pct")))
    if m.group("cents"):
        return CostAlert(amount=plain(_amount(m.group("cents")) / 100))
    return CostAlert(amount=_amount(m.group("usd") or m.group("dollars")))


def read_alert_words(text: str) -> AlertWords:
    """What ``text`` says about alerts, and the spans the request parser must not read."""
    words = AlertWords()
    for found in ADDRESS_RX.finditer(text):
        address = found.group("a").rstrip(".,;:!?)\"'”")
        if re.fullmatch(EMAIL_PATTERN, address):
            words.address = words.address or address
        else:
            words.bad_address = words.bad_address or address
        words.spans.append((found.start(), found.start("a") + len(found.group("a"))))
    if BOTH_RX.search(text) or (EMAIL_WORD_RX.search(text) and DM_WORD_RX.search(text)):
        words.delivery = BOTH
    elif EMAIL_WORD_RX.search(text) or words.address or words.bad_address:
        words.delivery = EMAIL
    elif DM_WORD_RX.search(text):
        words.delivery = DM
    if m := COST_RX.search(text):
        cost = _cost(m)
        if cost.percent is not None and not 0 < cost.percent <= 100:
            words.bad_cost = f"{cost.percent}%"
        else:
            words.cost = cost
        words.spans.append(m.span())
    rest = blank(text, words.spans)  # a cost alert's "$1" or "80%" is no score
    if find_threshold(rest) is None:
        for rx in (THRESHOLD_RX, THRESHOLD_PLUS_RX):
            over = [
                int(min(to_number(t.group("v")), 10**6)) for t in rx.finditer(rest) if to_number(t.group("v")) > 100
            ]
            if over:
                words.score_over = over[0]
                break
    if often := TOO_OFTEN_RX.search(text):
        words.too_often = " ".join(often.group().split())
        words.spans.append(often.span())
    elif (rare := LONG_CADENCE_RX.search(text)) and _hours(rare) > LONGEST_CADENCE_HOURS:
        # Not blanked: the parser still sees a cadence there, which apply_alert_words replaces with the longest.
        words.too_rare = " ".join(rare.group().split())
    return words


def _hours(m: re.Match[str]) -> float:
    if m.group("word"):
        return UNIT_HOURS["year"]
    return to_number(m.group("n")) * UNIT_HOURS[m.group("unit").lower().rstrip("s")]


def blank(text: str, spans: list[Span]) -> str:
    """``text`` with the spans replaced by spaces (positions kept, so other spans stay valid)."""
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def apply_alert_words(parsed: ParsedMessage, words: AlertWords) -> None:
    """Lay what the message said about alerts over the parser's reading: a value past a limit becomes the limit,
    with a note that names the limit and asks (the dialog confirms every message with notes)."""
    parsed.alerts = words
    watch = parsed.intent == Intent.WATCH
    if watch and words.score_over is not None and parsed.threshold is None:
        parsed.threshold = 100
        parsed.unclear = [u for u in parsed.unclear if u != "threshold"]
        parsed.notes.append(
            f"Scores go from 0 to 100, so I can't alert above {words.score_over} — alert at 100? "
            "Say yes, or give me a score like “above 80”."
        )
    if watch and words.too_often is not None and parsed.cadence is None:
        parsed.cadence = Cadence(SHORTEST_CADENCE_HOURS, "hourly")
        parsed.unclear = [u for u in parsed.unclear if u != "cadence"]
        parsed.notes.append(
            f"Hourly is the shortest a watch runs, so not “{words.too_often}” — run it hourly? "
            "Say yes, or tell me another cadence."
        )
    if watch and words.too_rare is not None:
        parsed.cadence = Cadence(720, "monthly")
        parsed.unclear = [u for u in parsed.unclear if u != "cadence"]
        parsed.notes.append(
            f"Monthly is the longest a watch waits between runs, so not “{words.too_rare}” — run it monthly? "
            "Say yes, or tell me another cadence."
        )
    if words.bad_address is not None:
        parsed.notes.append(
            f"“{words.bad_address}” does not look like an email address: tell me one like pat@example.com."
        )
    if words.bad_cost is not None:
        parsed.notes.append(
            f"A cost alert is a dollar amount or a share of the budget up to 100%, so not {words.bad_cost}: "
            "say e.g. “tell me when it has cost $1” or “warn me at 80%”."
        )


def merge_alert_words(draft: dict[str, Any], words: AlertWords | None) -> dict[str, Any]:
    """The draft's ``alerts`` (delivery, address, cost) with what a new message said laid over them."""
    if words is None:
        return draft
    alerts = dict(draft.get("alerts") or {})
    if words.delivery is not None:
        alerts["delivery"] = words.delivery
    if words.address is not None:
        alerts["address"] = words.address
    if words.cost is not None:
        alerts["cost"] = words.cost.as_text()
    return {**draft, "alerts": alerts} if alerts else draft


def where_alerts_go(alerts: dict[str, Any]) -> str:
    """'by DM', 'by email to pat@example.com', 'by DM and email'."""
    delivery = alerts.get("delivery") or DM
    to = f" to {alerts['address']}" if alerts.get("address") else ""
    return {DM: "by DM", EMAIL: f"by email{to}", BOTH: f"by DM and email{to}"}[delivery]


def channels(alerts: dict[str, Any]) -> tuple[bool, bool]:
    """(push, email) for the delivery chosen; a DM when none was."""
    delivery = alerts.get("delivery") or DM
    return delivery in (DM, BOTH), delivery in (EMAIL, BOTH)


DELIVERY_ONLY_RX = re.compile(
    r"\b(?:e-?mail|dm|message|ping|send)\s+(?:me|us)\b(?:\s+(?:the\s+)?(?:results?|summary|report|findings))?", re.I
)


def one_off_with_delivery(parsed: ParsedMessage, text: str) -> None:
    """ "r/freelance last 2 weeks, email me the results" is an analysis whose summary is emailed, not a watch:
    a window, no cadence and no threshold, and nothing but a delivery phrase asked to be told."""
    from oppscout.core.conversation.parser import WATCH_RX

    if parsed.intent != Intent.WATCH or parsed.window is None or parsed.cadence is not None:
        return
    if parsed.threshold is not None or WATCH_RX.search(DELIVERY_ONLY_RX.sub(" ", text)):
        return
    parsed.intent = Intent.SCAN


def as_watch_edit(parsed: ParsedMessage, text: str) -> None:
    """Read a follow-up to a watch being set up ("above 80", "every 6 hours", "hourly") as a watch's fields:
    the parser reads a threshold and a cadence only in messages that ask for a watch."""
    if parsed.intent != Intent.SCAN:
        return
    parsed.intent = Intent.WATCH
    parsed.threshold = find_threshold(text)
    parsed.cadence = find_cadence(text)
    if parsed.cadence is not None:
        parsed.window = None  # "every 6 hours" says how often, not how far back
    if threshold_unclear(text):
        parsed.unclear.append("threshold")


def cost_note(cost: CostAlert, budget: Decimal, alerts: dict[str, Any], *, monthly: bool = False) -> str:
    """What the cost alert means for this budget, and where it goes."""
    at = cost.against(budget)
    spend = "its spend this month" if monthly else "its spend"
    if at > budget:
        return (
            f"(A cost alert at {usd(at)} can never fire: the budget is {usd(budget)}. "
            "Give a smaller amount or a share of the budget.)"
        )
    shown = usd(at) if cost.percent is None else f"{usd(at)} ({cost.describe()})"
    return f"(I'll tell you {where_alerts_go(alerts)} once {spend} reaches {shown}.)"
