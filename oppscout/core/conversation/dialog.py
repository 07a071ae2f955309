"""The dialog of one thread: ask for what is missing, confirm with an estimate, then run.

The state is plain JSON kept per thread in the database: ``phase`` (clarifying or confirming), the
request ``draft`` so far, and whether it must be confirmed (it came by voice, a name was guessed, or it
was edited during a confirmation).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from oppscout.core.analysis.synthesis import synthesis_range
from oppscout.core.contract import AnalysisRequest, utcnow
from oppscout.core.conversation.alert_words import (
    CostAlert,
    apply_alert_words,
    as_watch_edit,
    blank,
    channels,
    cost_note,
    merge_alert_words,
    one_off_with_delivery,
    read_alert_words,
    where_alerts_go,
)
from oppscout.core.conversation.commands import Cancel, Confirm, EditDraft
from oppscout.core.conversation.estimate import Estimate, VolumeHint, estimate
from oppscout.core.conversation.parser import Intent, ParsedMessage, parse
from oppscout.core.conversation.subreddit_names import answer_subreddits
from oppscout.core.costs import PriceTable, money
from oppscout.core.settings import Settings
from oppscout.core.wording import usd

YES = re.compile(
    r"^\s*(y|yes|yep|yeah|yup|sure|ok|okay|go|go ahead|go for it|run|run it|run it once|do it|start|"
    r"start it|confirm|confirmed|sounds good|please do|👍)\b",
    re.I,
)
NO = re.compile(r"^\s*(n|no|nope|cancel|stop|never ?mind|forget it|abort|don't|do not)\b", re.I)
EDIT = re.compile(r"^\s*(edit|change|make it|actually|instead|but)\b[:,]?\s*", re.I)
DROPPED = "OK, dropped it. Nothing was run or charged."
NOTHING_TO_CONFIRM = "There is nothing waiting for a yes in this conversation any more; ask me again to start one."
ASK_SUBREDDITS = "Which subreddits should I look at? For example: r/smallbusiness r/freelance"

HELP_TEXT = (
    "I find product opportunities in what people say on Reddit. Type or send a voice note, like:\n"
    "  • what are people struggling with in r/smallbusiness and r/freelance about invoicing, last two weeks, budget $2\n"
    "  • watch r/SaaS for churn and DM me when an opportunity scores above 70\n"
    "  • status — how the last analysis is going\n"
    "  • cancel — stop it\n"
    "I ask for anything missing and confirm the cost before I start."
)


@dataclass
class RunAnalysis:
    """Start this request; ``announcement`` is said only once the service has accepted it."""

    request: AnalysisRequest
    announcement: str = ""


@dataclass
class SimpleAction:
    """An intent that needs no request: status, cancel, spend."""

    intent: Intent


@dataclass
class CreateWatch:
    """Set up a watch: re-run on a schedule and alert the owner when something crosses the threshold."""

    subreddits: list[str]
    keywords: list[str]
    threshold: int | None
    cadence_hours: int | None
    monthly_budget: Decimal | None
    push: bool = True
    email: bool = False
    address: str | None = None
    """An address given with the watch ("email pat@example.com"): remembered for the owner when it is set up."""
    cost_alert: CostAlert | None = None
    """The month's spend to tell the owner about ("tell me when it has cost $1")."""


Action = RunAnalysis | SimpleAction | CreateWatch


@dataclass
class Reply:
    """What the bot says back, and what it should do."""

    messages: list[str] = field(default_factory=list)
    action: Action | None = None
    parsed: ParsedMessage | None = None


# What the parser saw but could not read is asked back, never guessed.
UNCLEAR_QUESTIONS = {
    "threshold": "(I couldn't read the alert threshold: tell me a score from 0 to 100, e.g. “alert me above 80”.)",
    "budget": "(I couldn't read the budget: tell me an amount in dollars, e.g. “budget $2”.)",
    "cadence": "(I couldn't read how often to run it: say e.g. “daily”, “every 6 hours” or “every Monday”.)",
}


def friendly(error: ValidationError) -> str:
    """The validation messages of a request, without pydantic's prefixes."""
    lines = []
    for item in error.errors():
        message = str(item.get("msg", "")).removeprefix("Value error, ")
        lines.append(message)
    return " ".join(dict.fromkeys(lines))


class Dialog:
    """Turns messages of one thread into replies and actions; the state is plain JSON for the database."""

    def __init__(
        self,
        settings: Settings,
        *,
        confirm_always: bool = False,
        now: Callable[[], datetime] = utcnow,
        volume: Callable[[AnalysisRequest], VolumeHint | None] | None = None,
    ) -> None:
        self.settings = settings
        self.volume = volume
        self.confirm_always = confirm_always
        self.now = now
        self.prices = PriceTable.from_settings(settings)

    def read(self, text: str, state: dict[str, Any], known_subreddits: Iterable[str] = ()) -> ParsedMessage | None:
        """What the dialog takes ``text`` to say in this state; None for a yes or no to a confirmation."""
        phase = state.get("phase", "idle")
        if phase == "confirming" and (YES.match(text) or NO.match(text)):
            return None
        edit = EDIT.match(text)
        if edit and phase != "idle":
            text = text[edit.end() :]
        known = list(known_subreddits)
        # Addresses and cost alerts are read first and hidden from the parser ("$1" there is not the budget).
        words = read_alert_words(text)
        parsed = parse(blank(text, words.spans), self.now(), known_subreddits=known)
        if phase == "clarifying" and not parsed.subreddits and parsed.intent in (Intent.SCAN, Intent.WATCH):
            answer = answer_subreddits(text, known)
            parsed.subreddits, parsed.fuzzy = answer.names, answer.fuzzy
        if phase != "idle" and (state.get("draft") or {}).get("watch"):
            as_watch_edit(parsed, blank(text, words.spans))
        else:
            one_off_with_delivery(parsed, blank(text, words.spans))
        apply_alert_words(parsed, words)
        return parsed

    def handle(
        self,
        text: str,
        state: dict[str, Any],
        *,
        voice: bool = False,
        known_subreddits: Iterable[str] = (),
        parsed: ParsedMessage | None = None,
        read_cost: Decimal = Decimal("0"),
    ) -> tuple[Reply, dict[str, Any]]:
        """Answer one message given the thread's state; returns the reply and the new state.

        ``parsed`` is what ``read`` returned, possibly completed by the LLM interpreter, whose reading
        cost ``read_cost`` (charged to the workspace; the confirmation says so).
        """
        phase = state.get("phase", "idle")
        draft: dict[str, Any] = dict(state.get("draft", {})) if phase != "idle" else {}
        confirm = bool(state.get("confirm")) or voice
        if phase == "confirming":
            if YES.match(text):
                return self._build(draft, confirmed=True, confirm=True)
            if NO.match(text):
                return Reply([DROPPED]), {}
            # Anything else while confirming changes the draft, and the change is confirmed again.
            confirm = True
        if parsed is None:
            parsed = self.read(text, state, known_subreddits)
        assert parsed is not None  # only a yes or no reads as None, and both returned above
        if parsed.intent == Intent.HELP:
            return Reply([HELP_TEXT], parsed=parsed), state
        if parsed.intent in (Intent.STATUS, Intent.SPEND):
            return Reply(action=SimpleAction(parsed.intent), parsed=parsed), state
        if parsed.intent == Intent.CANCEL:
            if phase in ("confirming", "clarifying"):
                return Reply([DROPPED], parsed=parsed), {}
            return Reply(action=SimpleAction(Intent.CANCEL), parsed=parsed), state
        draft = merge(draft, parsed)
        if parsed.llm_fields and read_cost:
            draft["llm_read_cost"] = str(read_cost)
        if parsed.fuzzy or parsed.llm_fields or parsed.notes or parsed.unclear:
            confirm = True
        if not draft.get("subreddits"):
            question = ASK_SUBREDDITS if not draft.get("watch") else "Which subreddits should I watch?"
            return Reply([question], parsed=parsed), {"phase": "clarifying", "draft": draft, "confirm": confirm}
        reply, new_state = self._build(draft, confirmed=False, confirm=confirm)
        reply.parsed = parsed
        return reply, new_state

    def apply(self, command: EditDraft | Confirm | Cancel, state: dict[str, Any]) -> tuple[Reply, dict[str, Any]]:
        """Answer a typed command (a button or a form) given the thread's state; nothing is parsed.

        A form's fields replace the draft's, and the request is confirmed again with its new estimate.
        """
        phase = state.get("phase", "idle")
        draft: dict[str, Any] = dict(state.get("draft", {})) if phase != "idle" else {}
        if isinstance(command, Cancel):
            if phase in ("confirming", "clarifying"):
                return Reply([DROPPED]), {}
            return Reply(action=SimpleAction(Intent.CANCEL)), state
        if isinstance(command, Confirm):
            if phase != "confirming":
                return Reply([NOTHING_TO_CONFIRM]), state
            return self._build(draft, confirmed=True, confirm=True)
        if phase == "idle":
            return Reply([NOTHING_TO_CONFIRM]), state
        draft = edited(draft, command, self.now())
        if not draft.get("subreddits"):
            return Reply([ASK_SUBREDDITS]), {"phase": "clarifying", "draft": draft, "confirm": True}
        return self._build(draft, confirmed=False, confirm=True)

    def _build(self, draft: dict[str, Any], *, confirmed: bool, confirm: bool) -> tuple[Reply, dict[str, Any]]:
        now = self.now()
        draft = dict(draft)
        defaults: list[str] = []
        if "start" not in draft:
            draft["start"] = (now - timedelta(days=self.settings.default_window_days)).isoformat()
            draft["end"] = now.isoformat()
            defaults.append(f"the last {self.settings.default_window_days} days")
        if "max_cost" not in draft:
            draft["max_cost"] = str(self.settings.default_max_cost_usd)
            defaults.append(f"a {usd(self.settings.default_max_cost_usd)} budget")
        alerts: dict[str, Any] = draft.get("alerts") or {}
        push, email = channels(alerts)
        cost = CostAlert.from_text(alerts["cost"]) if alerts.get("cost") else None
        try:
            request = AnalysisRequest.model_validate(
                {
                    "subreddits": draft["subreddits"],
                    "timeRange": {"start": draft["start"], "end": draft["end"]},
                    "keywords": draft.get("keywords") or None,
                    "maxCost": draft["max_cost"],
                    "notificationPreferences": {
                        "push": push,
                        "email": email,
                        "costThreshold": str(cost.against(Decimal(draft["max_cost"]))) if cost else None,
                    },
                },
                context={"max_cost_cap": self.settings.max_cost_cap_usd, "now": now},
            )
        except ValidationError as error:
            state = {"phase": "clarifying", "draft": strip_defaults(draft, defaults), "confirm": confirm}
            return Reply([f"I can't run that yet: {friendly(error)} Tell me what to change, or say cancel."]), state
        notes = []
        if defaults:
            notes.append(f"(You didn't say, so I used {' and '.join(defaults)}.)")
        notes += [f"(I took “{heard}” to mean r/{name}.)" for heard, name in draft.get("resolved", [])]
        if draft.get("llm_fields"):
            read_cost = Decimal(str(draft.get("llm_read_cost", "0")))
            paid = f"; that read cost {money(read_cost)}, charged to this workspace" if read_cost else ""
            notes.append(f"(The AI helped me read your message: {', '.join(draft['llm_fields'])}{paid}.)")
        notes += draft.get("notes") or []
        watch = draft.get("watch")
        if cost is not None and not watch:
            notes.append(cost_note(cost, request.max_cost, alerts))
        if email and not watch:
            notes.append("(I'll email you the summary when it is done.)")
        needs_confirm = (
            self.confirm_always or confirm or bool(watch) or request.max_cost > self.settings.auto_approve_usd
        )
        if (confirmed or not needs_confirm) and not watch:
            announcement = " ".join([f"Starting: {describe(request)}.", *notes])
            return Reply([announcement], RunAnalysis(request, announcement)), {}
        est = self.estimate(request)
        saved = strip_defaults(draft, defaults)
        if watch:
            # A watch has no window of its own (each run reads what is new since the last one), and its
            # budget is monthly: the default one comes from the watch settings, not the analysis default.
            budget_said = not any("budget" in d for d in defaults)
            if confirmed:
                action = CreateWatch(
                    subreddits=request.subreddits,
                    keywords=request.keywords or [],
                    threshold=watch.get("threshold"),
                    cadence_hours=watch.get("cadence_hours"),
                    monthly_budget=request.max_cost if budget_said else None,
                    push=push,
                    email=email,
                    address=alerts.get("address"),
                    cost_alert=cost,
                )
                return Reply([], action), {}
            monthly = request.max_cost if budget_said else self.settings.watch_default_monthly_budget_usd
            described = describe_watch(request, watch, alerts, default_threshold=self.settings.watch_default_threshold)
            lines = [
                f"I understood a watch: {described}, with a budget of {usd(monthly)} a month.",
                *([cost_note(cost, monthly, alerts, monthly=True)] if cost else []),
                *notes[1 if defaults else 0 :],
                "Set it up? (yes / edit … / cancel)",
            ]
            return Reply([" ".join(lines)]), {"phase": "confirming", "draft": saved, "confirm": True}
        lines = [f"Here's what I understood: {describe(request)}.", *notes]
        lines.append(f"Estimate: {est.describe()}. Run it? (yes / edit … / cancel)")
        # Defaults are kept out of the saved draft: "yes" tomorrow should mean "the last 7 days" from then.
        return Reply([" ".join(lines)]), {"phase": "confirming", "draft": saved, "confirm": True}

    def estimate(self, request: AnalysisRequest) -> Estimate:
        """The up-front estimate shown when a request is confirmed."""
        volume = self.volume(request) if self.volume else None
        settings = self.settings
        free_llm = bool(settings.openai_base_url) and self.prices.llm_free
        return estimate(request, self.prices, llm_range=self._llm_range(), volume=volume, free_llm=free_llm)

    def _llm_range(self) -> tuple[Decimal, Decimal]:
        settings = self.settings
        if not settings.openai_base_url or not self.prices.prices_model(settings.openai_model):
            # No LLM, or an unpriced one the analysis will not call: nothing to add.
            return Decimal("0"), Decimal("0")
        return synthesis_range(
            self.prices,
            settings.openai_model,
            settings.llm_max_themes,
            settings.llm_max_output_tokens,
            settings.llm_max_attempts,
        )


def merge(draft: dict[str, Any], parsed: ParsedMessage) -> dict[str, Any]:
    """The draft with what the new message said laid over it."""
    merged = dict(draft)
    if parsed.subreddits:
        earlier = list(draft.get("subreddits") or []) if parsed.adding else []
        merged["subreddits"] = earlier + [s for s in parsed.subreddits if s.lower() not in {e.lower() for e in earlier}]
        merged["resolved"] = [
            *(draft.get("resolved") or [] if parsed.adding else []),
            *([f.heard, f.name] for f in parsed.fuzzy),
        ]
    if parsed.keywords:
        merged["keywords"] = parsed.keywords
    elif parsed.clear_keywords:
        merged.pop("keywords", None)
    if parsed.llm_fields:
        merged["llm_fields"] = list(parsed.llm_fields)
    # Notes and questions belong to the message that raised them: the next message replaces them.
    merged["notes"] = [*parsed.notes, *(UNCLEAR_QUESTIONS[name] for name in parsed.unclear)]
    if parsed.window:
        merged["start"], merged["end"] = (parsed.window[0].isoformat(), parsed.window[1].isoformat())
    if parsed.max_cost is not None:
        merged["max_cost"] = str(parsed.max_cost)
    if parsed.intent == Intent.WATCH:
        # An edit of a watch ("email me instead") keeps the threshold and cadence it does not mention.
        before: dict[str, Any] = dict(draft.get("watch") or {})
        merged["watch"] = {
            "threshold": parsed.threshold if parsed.threshold is not None else before.get("threshold"),
            "cadence": parsed.cadence.label if parsed.cadence else before.get("cadence"),
            "cadence_hours": parsed.cadence.hours if parsed.cadence else before.get("cadence_hours"),
        }
    return merge_alert_words(merged, parsed.alerts)


def edited(draft: dict[str, Any], edit: EditDraft, now: datetime) -> dict[str, Any]:
    """The draft with the form's fields laid over it, each taken as given."""
    merged = dict(draft)
    if edit.subreddits is not None:
        merged["subreddits"] = list(edit.subreddits)
        merged["resolved"] = []
    if edit.keywords is not None:
        if edit.keywords:
            merged["keywords"] = list(edit.keywords)
        else:
            merged.pop("keywords", None)
    if edit.days is not None:
        merged["start"], merged["end"] = (now - timedelta(days=edit.days)).isoformat(), now.isoformat()
    if edit.max_cost is not None:
        merged["max_cost"] = str(edit.max_cost)
    return merged


def strip_defaults(draft: dict[str, Any], defaults: list[str]) -> dict[str, Any]:
    """The draft without the values filled in as defaults (they are filled in again when it runs)."""
    saved = dict(draft)
    if any("days" in d for d in defaults):
        saved.pop("start", None)
        saved.pop("end", None)
    if any("budget" in d for d in defaults):
        saved.pop("max_cost", None)
    return saved


def describe(request: AnalysisRequest) -> str:
    """A one-line human description of a request."""
    subs = ", ".join(f"r/{s}" for s in request.subreddits)
    days = request.time_range.days
    window = f"last {round(days)} days" if days >= 1 else f"last {round(days * 24)} hours"
    start, end = request.time_range.start, request.time_range.end
    if start.time() == end.time() == time(0) and end - start >= timedelta(days=1):
        # A range of whole days ("between March 1 and March 15") is shown as the days it covers.
        last = end - timedelta(days=1)
        window = f"{start:%-d %b %Y}" + ("" if last == start else f" to {last:%-d %b %Y}")
    about = f" about {', '.join(request.keywords)}" if request.keywords else ""
    return f"{subs}{about}, {window}, budget {usd(request.max_cost)}"


def describe_watch(
    request: AnalysisRequest,
    watch: dict[str, Any],
    alerts: dict[str, Any] | None = None,
    *,
    default_threshold: int = 70,
) -> str:
    """A one-line description of a watch: what, how often, when to alert, and where alerts go."""
    subs = ", ".join(f"r/{s}" for s in request.subreddits)
    about = f" about {', '.join(request.keywords)}" if request.keywords else ""
    cadence = watch.get("cadence") or "daily"
    threshold = watch.get("threshold")
    # The default is said, not implied: a watch set up without a threshold alerts at it.
    alert = (
        f"alert when an opportunity scores above {threshold}"
        if threshold is not None
        else f"alert when an opportunity scores {default_threshold} or more (the default)"
    )
    return f"{subs}{about}, {cadence}, {alert} {where_alerts_go(alerts or {})}"
