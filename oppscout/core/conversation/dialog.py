"""The dialog of one thread: ask for what is missing, confirm with an estimate, then run."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from oppscout.core.contract import AnalysisRequest, utcnow
from oppscout.core.conversation.estimate import estimate
from oppscout.core.conversation.parser import Intent, ParsedMessage, parse
from oppscout.core.costs import PriceTable
from oppscout.core.settings import Settings

YES = re.compile(r"^\s*(y|yes|yep|yeah|sure|ok|okay|go|go ahead|run|run it|do it|start|confirm|👍)\b", re.I)
NO = re.compile(r"^\s*(n|no|nope|cancel|stop|never ?mind|forget it|abort)\b", re.I)
EDIT = re.compile(r"^\s*(edit|change|make it|actually)\b[:,]?\s*", re.I)

HELP_TEXT = (
    "I find product opportunities in what people say on Reddit. Try:\n"
    "  • what are people struggling with in r/smallbusiness and r/freelance about invoicing, last two weeks, budget $2\n"
    "  • status — how the last analysis is going\n"
    "  • cancel — stop it\n"
    "I ask for anything missing and confirm the cost before I start."
)


@dataclass
class RunAnalysis:
    """Start this request."""

    request: AnalysisRequest


@dataclass
class SimpleAction:
    """An intent that needs no request: status, cancel, spend."""

    intent: Intent


Action = RunAnalysis | SimpleAction


@dataclass
class Reply:
    """What the bot says back, and what it should do."""

    messages: list[str] = field(default_factory=list)
    action: Action | None = None


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
        self, settings: Settings, *, confirm_always: bool = False, now: Callable[[], datetime] = utcnow
    ) -> None:
        self.settings = settings
        self.confirm_always = confirm_always
        self.now = now
        self.prices = PriceTable(settings.model_prices, settings.reddit_price_per_1000_calls_usd)

    def handle(self, text: str, state: dict[str, Any], *, voice: bool = False) -> tuple[Reply, dict[str, Any]]:
        """Answer one message given the thread's state; returns the reply and the new state."""
        phase = state.get("phase", "idle")
        draft: dict[str, Any] = dict(state.get("draft", {}))
        if phase == "confirming":
            if YES.match(text):
                return self._build(draft, confirmed=True, voice=voice)
            if NO.match(text):
                return Reply(["OK, dropped it. Nothing was run or charged."]), {}
            edit = EDIT.match(text)
            if edit:
                text = text[edit.end() :]
        parsed = parse(text, self.now())
        if parsed.intent == Intent.HELP:
            return Reply([HELP_TEXT]), state
        if parsed.intent in (Intent.STATUS, Intent.SPEND):
            return Reply(action=SimpleAction(parsed.intent)), state
        if parsed.intent == Intent.CANCEL:
            if phase in ("confirming", "clarifying"):
                return Reply(["OK, dropped it. Nothing was run or charged."]), {}
            return Reply(action=SimpleAction(Intent.CANCEL)), state
        if parsed.intent == Intent.WATCH:
            return Reply(["Watches are not available yet; I can run a one-off analysis instead."]), state
        draft = self._merge(draft, parsed)
        if not draft.get("subreddits"):
            return (
                Reply(["Which subreddits should I look at? For example: r/smallbusiness r/freelance"]),
                {"phase": "clarifying", "draft": draft},
            )
        return self._build(draft, confirmed=False, voice=voice)

    def _merge(self, draft: dict[str, Any], parsed: ParsedMessage) -> dict[str, Any]:
        merged = dict(draft)
        if parsed.subreddits:
            merged["subreddits"] = parsed.subreddits
        if parsed.keywords:
            merged["keywords"] = parsed.keywords
        if parsed.window:
            merged["start"], merged["end"] = (parsed.window[0].isoformat(), parsed.window[1].isoformat())
        if parsed.max_cost is not None:
            merged["max_cost"] = str(parsed.max_cost)
        return merged

    def _build(self, draft: dict[str, Any], *, confirmed: bool, voice: bool) -> tuple[Reply, dict[str, Any]]:
        now = self.now()
        defaults: list[str] = []
        if "start" not in draft:
            draft["start"] = (now - timedelta(days=self.settings.default_window_days)).isoformat()
            draft["end"] = now.isoformat()
            defaults.append(f"the last {self.settings.default_window_days} days")
        if "max_cost" not in draft:
            draft["max_cost"] = str(self.settings.default_max_cost_usd)
            defaults.append(f"a ${self.settings.default_max_cost_usd} budget")
        try:
            request = AnalysisRequest.model_validate(
                {
                    "subreddits": draft["subreddits"],
                    "timeRange": {"start": draft["start"], "end": draft["end"]},
                    "keywords": draft.get("keywords") or None,
                    "maxCost": draft["max_cost"],
                },
                context={"max_cost_cap": self.settings.max_cost_cap_usd, "now": now},
            )
        except ValidationError as error:
            return Reply([f"I can't run that yet: {friendly(error)}"]), {"phase": "clarifying", "draft": draft}
        needs_confirm = self.confirm_always or voice or request.max_cost > self.settings.auto_approve_usd
        if confirmed or not needs_confirm:
            return Reply([f"Starting: {describe(request)}."], RunAnalysis(request)), {}
        est = estimate(request, self.prices, llm_ceiling=self._llm_ceiling(request))
        lines = [f"Here's what I understood: {describe(request)}."]
        if defaults:
            lines.append(f"(You didn't say, so I used {' and '.join(defaults)}.)")
        lines.append(f"Estimate: {est.describe()}. Run it? (yes / edit … / cancel)")
        return Reply([" ".join(lines)]), {"phase": "confirming", "draft": draft}

    def _llm_ceiling(self, request: AnalysisRequest) -> Decimal:
        return request.max_cost if self.settings.openai_base_url else Decimal("0")


def describe(request: AnalysisRequest) -> str:
    """A one-line human description of a request."""
    subs = ", ".join(f"r/{s}" for s in request.subreddits)
    days = request.time_range.days
    window = f"last {round(days)} days" if days >= 1 else f"last {round(days * 24)} hours"
    about = f" about {', '.join(request.keywords)}" if request.keywords else ""
    return f"{subs}{about}, {window}, budget ${request.max_cost}"
