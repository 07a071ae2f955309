"""Interactive parts: Run, Edit (a modal with the request fields), Cancel, and 👍/👎 on opportunities.

Run and Cancel are the dialog's "yes" and "cancel"; the modal's fields become an "edit …" message.
Only the first press on a confirmation counts, so a double click never starts two analyses.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from oppscout.bot.render.blockkit import (
    CANCEL_ACTION,
    EDIT_ACTION,
    EDIT_MODAL,
    RUN_ACTION,
    STOP_ACTION,
    VOTE_DOWN_ACTION,
    VOTE_UP_ACTION,
    ModalDraft,
    clip,
    decided_blocks,
    edit_modal,
    modal_message,
    modal_values,
)
from oppscout.bot.slack.conversation import PLATFORM, SlackConversations
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.errors import AppError

DECISIONS = {
    "yes": "▶ <@{user}> pressed Run.",
    "cancel": "✖ <@{user}> cancelled.",
    "edit": "✎ <@{user}> edited the request.",
}


def _where(body: dict[str, Any]) -> tuple[ThreadRef, str, str]:
    """The thread a button was pressed in, the message it sits on, and that message's text."""
    message = body.get("message") or {}
    channel = body["channel"]["id"]
    ts = str(message.get("ts", ""))
    team = str((body.get("team") or {}).get("id") or body["user"].get("team_id", ""))
    ref = ThreadRef(PLATFORM, team, channel, str(message.get("thread_ts") or ts), body["user"]["id"])
    return ref, ts, str(message.get("text", ""))


def draft_of(state: dict[str, Any] | None) -> ModalDraft:
    """The Edit modal's initial values from the thread's dialog draft."""
    draft = (state or {}).get("draft") or {}
    days = ""
    if draft.get("start") and draft.get("end"):
        span = datetime.fromisoformat(draft["end"]) - datetime.fromisoformat(draft["start"])
        days = str(max(1, round(span.total_seconds() / 86400)))
    return ModalDraft(
        subreddits=" ".join(f"r/{s}" for s in draft.get("subreddits") or []),
        keywords=", ".join(draft.get("keywords") or []),
        days=days,
        budget=str(draft.get("max_cost") or ""),
    )


def register_actions(app: AsyncApp, conversations: SlackConversations) -> None:
    """Attach the button and modal listeners to ``app``."""

    async def decide(body: dict[str, Any], word: str) -> None:
        ref, ts, text = _where(body)
        poster = await conversations.poster(ref.workspace_id)
        if not await conversations.first_delivery(f"click:{ref.channel_id}:{ts}"):
            await poster.ephemeral(ref.channel_id, ref.user_id, "That was already decided.", thread_ts=ref.thread_id)
            return
        await poster.update(
            ref.channel_id, ts, text, blocks=decided_blocks(text, DECISIONS[word].format(user=ref.user_id))
        )
        await conversations.turn(ref, word, key=f"run:{ref.channel_id}:{ts}")

    @app.action(RUN_ACTION)
    async def on_run(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await decide(body, "yes")

    @app.action(CANCEL_ACTION)
    async def on_cancel(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await decide(body, "cancel")

    @app.action(EDIT_ACTION)
    async def on_edit(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        ref, ts, text = _where(body)
        poster = await conversations.poster(ref.workspace_id)
        state = await conversations.state(ref)
        # private_metadata carries where the modal came from (3,000 characters at most).
        where = json.dumps(
            {
                "team": ref.workspace_id,
                "channel": ref.channel_id,
                "thread": ref.thread_id,
                "ts": ts,
                "text": clip(text, 1500),
            }
        )
        await poster.client.views_open(trigger_id=body["trigger_id"], view=edit_modal(draft_of(state), where))

    @app.view(EDIT_MODAL)
    async def on_edit_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = modal_values(view.get("state") or {})
        if not values.get("subreddits"):
            await ack(response_action="errors", errors={"subreddits": "Name at least one subreddit."})
            return
        await ack()
        where = json.loads(view.get("private_metadata") or "{}")
        user = body["user"]["id"]
        ref = ThreadRef(PLATFORM, where.get("team", ""), where["channel"], where["thread"], user)
        poster = await conversations.poster(ref.workspace_id)
        if where.get("ts") and await conversations.first_delivery(f"click:{ref.channel_id}:{where['ts']}"):
            text = str(where.get("text", ""))
            decision = DECISIONS["edit"].format(user=user)
            await poster.update(ref.channel_id, where["ts"], text, blocks=decided_blocks(text, decision))
        await conversations.turn(ref, modal_message(values), key=f"edit:{view.get('id', '')}:{view.get('hash', '')}")

    @app.action(STOP_ACTION)
    async def on_stop(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        ref, _, _ = _where(body)
        poster = await conversations.poster(ref.workspace_id)
        try:
            said = await conversations.service.cancel(str(action.get("value", "")))
        except AppError as error:
            said = error.message
        await poster.post(
            ref.channel_id, f"<@{ref.user_id}> pressed Stop. {said}", thread_ts=ref.thread_id, user=ref.user_id
        )

    async def vote(body: dict[str, Any], action: dict[str, Any], value: int) -> None:
        ref, _, _ = _where(body)
        poster = await conversations.poster(ref.workspace_id)
        analysis_id, _, rank = str(action.get("value", "")).rpartition(":")
        try:
            thanks = await conversations.service.record_feedback(
                analysis_id, int(rank), platform=PLATFORM, user_id=ref.user_id, vote=value
            )
        except (AppError, ValueError) as error:
            thanks = error.message if isinstance(error, AppError) else "I couldn't read that vote."
        await poster.ephemeral(ref.channel_id, ref.user_id, thanks, thread_ts=ref.thread_id)

    @app.action(VOTE_UP_ACTION)
    async def on_vote_up(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await vote(body, action, 1)

    @app.action(VOTE_DOWN_ACTION)
    async def on_vote_down(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await vote(body, action, -1)
