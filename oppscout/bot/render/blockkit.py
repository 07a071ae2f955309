"""Block Kit rendering for Slack: confirmations, progress, the final summary, the edit modal and App Home.

Everything here returns plain dicts (JSON for the Web API) and stays within Block Kit's limits:
at most 50 blocks per message and 3,000 characters per section text. Long content is split
across several messages rather than cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from oppscout.bot.render.text import cost_line, coverage_line, progress_line, queue_line
from oppscout.core.contract import AnalysisStatus, CostBreakdown, Opportunity, OpportunityResults, ProgressUpdate
from oppscout.core.wording import EMPTY_RESULT, opportunities_heading, plural, usd

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_FALLBACK = 3000

RUN_ACTION = "scout_run"
EDIT_ACTION = "scout_edit"
CANCEL_ACTION = "scout_cancel"
VOTE_UP_ACTION = "scout_vote_up"
VOTE_DOWN_ACTION = "scout_vote_down"
STOP_ACTION = "scout_stop"
EDIT_MODAL = "scout_edit_modal"


def escape(text: str) -> str:
    """Text from users or Reddit made safe for mrkdwn (no accidental links, mentions or markup)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """``text`` shortened to ``limit`` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chunks(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters, at line breaks where possible."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def section(text: str) -> list[Block]:
    """One or more mrkdwn sections holding ``text``, each within the 3,000-character limit."""
    return [{"type": "section", "text": {"type": "mrkdwn", "text": piece or " "}} for piece in chunks(text)]


def context(text: str) -> Block:
    """A small grey line."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, MAX_TEXT)}]}


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    """A button element."""
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(text, MAX_BUTTON_TEXT), "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def paginate(blocks: Sequence[Block], limit: int = MAX_BLOCKS) -> list[list[Block]]:
    """Blocks grouped into messages of at most ``limit`` blocks each."""
    return [list(blocks[i : i + limit]) for i in range(0, len(blocks), limit)] or [[]]


def plain_fallback(text: str) -> str:
    """The notification text that goes with blocks (shown in notifications and to screen readers)."""
    return clip(text, MAX_FALLBACK)


def message_blocks(text: str) -> list[Block]:
    """A bot message as sections (used for any reply longer than one section allows)."""
    return section(escape(text))


def confirmation_blocks(text: str) -> list[Block]:
    """The dialog's confirmation question with Run, Edit and Cancel buttons."""
    return [
        *section(escape(text)),
        {
            "type": "actions",
            "block_id": "scout_confirm",
            "elements": [
                button("Run", RUN_ACTION, "yes", "primary"),
                button("Edit", EDIT_ACTION, "edit"),
                button("Cancel", CANCEL_ACTION, "cancel", "danger"),
            ],
        },
    ]


def decided_blocks(text: str, decision: str) -> list[Block]:
    """The confirmation after someone pressed a button: the question kept, the buttons replaced by who did what."""
    return [*section(escape(text)), context(decision)]


def queued_text(position: int, wait_seconds: float) -> str:
    """The progress message while the analysis waits in line."""
    return f"⏳ {queue_line(position, wait_seconds)}"


def progress_text(progress: ProgressUpdate) -> str:
    """The progress message while the analysis runs: stage, percent, counts and ETA."""
    return f"⏳ {progress_line(progress)}"


def stage_text(label: str) -> str:
    """The progress message when a stage starts."""
    return f"⏳ {label}…"


def progress_blocks(text: str, analysis_id: str | None) -> list[Block]:
    """The progress message; while the analysis can still be stopped it carries a Stop button."""
    blocks = section(escape(text))
    if analysis_id:
        blocks.append(
            {
                "type": "actions",
                "block_id": "scout_progress",
                "elements": [button("Stop", STOP_ACTION, analysis_id, "danger")],
            }
        )
    return blocks


def final_progress_text(status: AnalysisStatus, detail: str = "") -> str:
    """The progress message once the analysis has ended."""
    marks = {
        AnalysisStatus.COMPLETED: "✅ done",
        AnalysisStatus.FAILED: "✖ failed",
        AnalysisStatus.CANCELLED: "⏹ cancelled",
    }
    mark = marks.get(status, status.value)
    return f"{mark} · {detail}" if detail else mark


def _quote_line(text: str, permalink: str, author: str) -> str:
    quoted = escape(clip(" ".join(text.split()), 600))
    return f"> “{quoted}” — <{permalink}|u/{escape(author)}>"


def opportunity_blocks(analysis_id: str, rank: int, opportunity: Opportunity, *, quotes: int = 2) -> list[Block]:
    """One opportunity: title and score, the problem in one line, quotes with links, 👍/👎 buttons."""
    problem = " ".join(opportunity.problem.split())
    # One line: the first sentence, which states the problem; the report has the rest.
    sentence_end = problem.find(". ")
    problem = problem[: sentence_end + 1] if 0 < sentence_end < 300 else problem
    head = f"*{rank}. {escape(clip(opportunity.title, 200))}* — score *{opportunity.score}*/100"
    body = [head, escape(clip(problem, 300))]
    body += [_quote_line(q.text, q.permalink, q.author) for q in opportunity.quotes[:quotes]]
    value = f"{analysis_id}:{rank}"
    return [
        *section("\n".join(body)),
        {
            "type": "actions",
            "block_id": f"scout_vote_{rank}",
            "elements": [
                button("👍", VOTE_UP_ACTION, value),
                button("👎", VOTE_DOWN_ACTION, value),
            ],
        },
    ]


def summary_blocks(
    analysis_id: str, results: OpportunityResults, cost: CostBreakdown, *, top: int = 5
) -> list[list[Block]]:
    """The final summary as one or more messages: top opportunities, coverage and cost."""
    subs = ", ".join(f"r/{s}" for s in results.coverage.subreddits)
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": clip(opportunities_heading(len(results.opportunities), subs), MAX_HEADER),
            },
        }
    ]
    blocks += [context(f"ℹ {escape(note)}") for note in results.notes]
    if not results.opportunities:
        blocks += section(EMPTY_RESULT)
    for rank, opportunity in enumerate(results.opportunities[:top], 1):
        blocks += opportunity_blocks(analysis_id, rank, opportunity)
        blocks.append({"type": "divider"})
    blocks.append(context(escape(coverage_line(results))))
    blocks.append(context(f"Cost: {escape(cost_line(cost))} · analysis `{analysis_id}`"))
    return paginate(blocks)


def summary_fallback(results: OpportunityResults) -> str:
    """Notification text for the summary."""
    if not results.opportunities:
        return plain_fallback("Analysis complete: no opportunities found.")
    found = plural(len(results.opportunities), "opportunity")
    return plain_fallback(f"Analysis complete: {found}. Top: {results.opportunities[0].title}")


@dataclass(frozen=True)
class ModalDraft:
    """What the Edit modal is pre-filled with."""

    subreddits: str = ""
    keywords: str = ""
    days: str = ""
    budget: str = ""


def _input(block_id: str, label: str, initial: str, placeholder: str, *, optional: bool = False) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": "value",
        "placeholder": {"type": "plain_text", "text": placeholder},
    }
    if initial:
        element["initial_value"] = clip(initial, 3000)
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }


def edit_modal(draft: ModalDraft, private_metadata: str) -> Block:
    """The Edit modal: subreddits, keywords, window in days and budget, pre-filled from the draft."""
    return {
        "type": "modal",
        "callback_id": EDIT_MODAL,
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": "Edit the request"},
        "submit": {"type": "plain_text", "text": "Update"},
        "close": {"type": "plain_text", "text": "Back"},
        "blocks": [
            _input("subreddits", "Subreddits", draft.subreddits, "r/smallbusiness r/freelance"),
            _input("keywords", "Keywords", draft.keywords, "invoicing, late payments", optional=True),
            _input("days", "Window (days)", draft.days, "14", optional=True),
            _input("budget", "Budget (USD)", draft.budget, "2", optional=True),
        ],
    }


def modal_values(view_state: dict[str, Any]) -> dict[str, str]:
    """The text the user left in each field of the Edit modal, by field name."""
    values: dict[str, str] = {}
    for block_id, actions in view_state.get("values", {}).items():
        value = (actions.get("value") or {}).get("value")
        values[block_id] = (value or "").strip()
    return values


@dataclass(frozen=True)
class HomeAnalysis:
    """One line of App Home's recent analyses."""

    analysis_id: str
    status: AnalysisStatus
    subreddits: Sequence[str]
    created: str
    spent: Decimal


@dataclass(frozen=True)
class HomeWatch:
    """One of the person's watches on App Home: what it watches, when, where its alerts go, and its cost alert."""

    number: int
    title: str
    schedule: str
    alerts_to: str
    usage: str
    cost_alert: str | None = None
    paused: bool = False


def _watch_lines(watch: HomeWatch) -> str:
    paused = " _(paused)_" if watch.paused else ""
    head = f"• *#{watch.number} {escape(watch.title)}* — {escape(watch.schedule)}{paused}"
    alerts = f"Alerts go by {escape(watch.alerts_to)}"
    extra = " · ".join(escape(part) for part in (watch.cost_alert, watch.usage) if part)
    return f"{head}\n      {alerts} · {extra}"


def home_view(recent: Sequence[HomeAnalysis], spend: str, watches: Sequence[HomeWatch]) -> Block:
    """App Home: spend this month against the caps, the person's watches, and the workspace's recent analyses."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Opportunity Scout"}},
        *section(spend),
        {"type": "divider"},
        *section("*Your watches*\n" + ("\n".join(_watch_lines(w) for w in watches) if watches else "No watches yet.")),
        {"type": "divider"},
    ]
    lines = [
        f"• `{a.analysis_id[:8]}` {escape(', '.join(f'r/{s}' for s in a.subreddits))} — {a.status.value}, "
        f"{usd(a.spent)} · {a.created}"
        for a in recent
    ]
    blocks += section("*Recent analyses*\n" + ("\n".join(lines) if lines else "None yet. Try `/scout` in a channel."))
    # "<request>" unescaped would be read by Slack as a link and vanish.
    blocks.append(context(escape("Ask with `/scout <request>`, by mentioning me, in a DM, or with a voice clip.")))
    # App Home allows 100 blocks; sections are few, so this only guards against a surprise.
    return {"type": "home", "blocks": blocks[:100]}
