"""Interactive parts: Run, Edit (a modal with the request fields), Cancel, and 👍/👎 on opportunities.

Run and Cancel become the typed ``Confirm`` and ``Cancel`` commands; the modal's fields become an
``EditDraft`` with each field kept as it is (never re-read as a sentence). Only the first press on a
confirmation counts, so a double click never starts two analyses.
"""

from __future__ import annotations

import json
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
    modal_values,
)
from oppscout.bot.slack.conversation import DIRECT_CONVERSATION, PLATFORM, SlackConversations, is_direct_channel
from oppscout.core.conversation.commands import Cancel, Confirm
from oppscout.core.conversation.state import FieldError, FormFields
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
    # A button on a top-level message of a DM belongs to the DM's own conversation (see listeners).
    top = DIRECT_CONVERSATION if is_direct_channel(channel) else ts
    ref = ThreadRef(PLATFORM, team, channel, str(message.get("thread_ts") or top), body["user"]["id"])
    return ref, ts, str(message.get("text", ""))


def form_of(view_state: dict[str, Any]) -> FormFields:
    """The Edit modal's fields as the platform-neutral form."""
    values = modal_values(view_state)
    return FormFields(
        subreddits=values.get("subreddits", ""),
        keywords=values.get("keywords", ""),
        days=values.get("days", ""),
        budget=values.get("budget", ""),
    )


def register_actions(app: AsyncApp, conversations: SlackConversations) -> None:
    """Attach the button and modal listeners to ``app``."""

    async def decide(body: dict[str, Any], word: str, command: Confirm | Cancel) -> None:
        ref, ts, text = _where(body)
        poster = await conversations.poster(ref.workspace_id)
        if not await conversations.first_delivery(f"click:{ref.channel_id}:{ts}"):
            await poster.ephemeral(ref.channel_id, ref.user_id, "That was already decided.", thread_ts=ref.thread_id)
            return
        await poster.update(
            ref.channel_id, ts, text, blocks=decided_blocks(text, DECISIONS[word].format(user=ref.user_id))
        )
        await conversations.turn(ref, command, key=f"run:{ref.channel_id}:{ts}")

    @app.action(RUN_ACTION)
    async def on_run(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await decide(body, "yes", Confirm())

    @app.action(CANCEL_ACTION)
    async def on_cancel(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await decide(body, "cancel", Cancel())

    @app.action(EDIT_ACTION)
    async def on_edit(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        ref, ts, text = _where(body)
        poster = await conversations.poster(ref.workspace_id)
        form = (await conversations.chat.dialog_state(ref)).form()
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
        await poster.client.views_open(
            trigger_id=body["trigger_id"], view=edit_modal(ModalDraft(**form.model_dump()), where)
        )

    @app.view(EDIT_MODAL)
    async def on_edit_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            edit = form_of(view.get("state") or {}).command()
        except FieldError as error:
            # Slack shows the message under the field and keeps the modal open.
            await ack(response_action="errors", errors={error.field: error.message})
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
        await conversations.turn(ref, edit, key=f"edit:{view.get('id', '')}:{view.get('hash', '')}")

    @app.action(STOP_ACTION)
    async def on_stop(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        ref, _, _ = _where(body)
        poster = await conversations.poster(ref.workspace_id)
        try:
            said = await conversations.service.cancel(str(action.get("value", "")), answered_in_thread=True)
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
