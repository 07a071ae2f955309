"""Entry points: ``/scout``, @mentions, DMs and thread replies (typed or as voice clips).

Each listener acknowledges first, turns the payload into a ``ThreadRef`` and text, and hands over
to ``SlackConversations``. Events are acknowledged by Bolt before the listener runs; the slash
command calls ``ack()`` before doing anything else.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from oppscout.bot.render.blockkit import clip, escape
from oppscout.bot.slack.conversation import DIRECT_CONVERSATION, PLATFORM, SlackConversations
from oppscout.bot.slack.markup import decode
from oppscout.core.conversation.dialog import HELP_TEXT
from oppscout.core.db.repositories.conversations import ThreadRef

COMMAND = "/scout"
# Message subtypes that are people talking; edits, joins, bot posts and the like are not.
SPOKEN_SUBTYPES = {None, "file_share", "thread_broadcast"}


def _team(body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> str:
    return str(body.get("team_id") or event.get("team") or context.team_id or "")


def root_text(user: str, text: str, understood: str = "") -> str:
    """The channel message a slash command starts its thread with: who asked, what, and what was understood."""
    lines = [f"<@{user}> asked: “{escape(clip(text, 1500))}”"]
    if understood:
        lines.append(f"_{escape(clip(understood, 600))}_")
    return "\n".join(lines)


def _first_sentence(text: str) -> str:
    return text.split(". ", 1)[0].rstrip(".")


def register_entry_points(app: AsyncApp, conversations: SlackConversations) -> None:
    """Attach the slash command, mention and message listeners to ``app``."""

    @app.command(COMMAND)
    async def on_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack()
        # Slack escapes slash command text like messages; the echo and the parser both want what was typed.
        text, user, channel = decode(str(command.get("text", ""))), command["user_id"], command["channel_id"]
        team = str(command.get("team_id", ""))
        poster = await conversations.poster(team)
        if not text or text.lower() == "help":
            await poster.ephemeral(channel, user, HELP_TEXT)
            return
        key = f"cmd:{command.get('trigger_id') or command.get('command_ts') or ''}"
        if not await conversations.first_delivery(key):
            return
        # Slash commands can't be used inside threads, so the thread starts under a root message.
        root = await poster.post(channel, root_text(user, text), thread_ts=None, user=user)
        if root is None:
            return
        ref = ThreadRef(PLATFORM, team, channel, root, user)
        outcome = await conversations.message(ref, text, key=key)
        if outcome is not None and outcome.messages:
            await poster.update(channel, root, root_text(user, text, _first_sentence(outcome.messages[-1])))

    @app.event("app_mention")
    async def on_mention(body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        user = event.get("user")
        if not user or event.get("bot_id"):
            return
        key = f"evt:{body.get('event_id') or event.get('client_msg_id') or event['ts']}"
        if not await conversations.first_delivery(key):
            return
        ref = ThreadRef(
            PLATFORM, _team(body, event, context), event["channel"], event.get("thread_ts") or event["ts"], user
        )
        await conversations.message(ref, str(event.get("text", "")), key=key, files=event.get("files"))

    @app.event("message")
    async def on_message(body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        user = event.get("user")
        if event.get("subtype") not in SPOKEN_SUBTYPES or event.get("bot_id") or not user:
            return
        text = str(event.get("text", ""))
        direct = event.get("channel_type") == "im"
        if not direct and context.bot_user_id and f"<@{context.bot_user_id}>" in text:
            return  # app_mention answers this one
        thread_ts = event.get("thread_ts")
        # In a DM the conversation is the DM itself (what is typed in its main box continues the dialog,
        # and the bot answers there); a thread inside the DM is a conversation of its own.
        where = thread_ts or (DIRECT_CONVERSATION if direct else event["ts"])
        ref = ThreadRef(PLATFORM, _team(body, event, context), event["channel"], where, user)
        if not direct:
            # In channels the bot only follows threads it is part of; everything else is people's own talk.
            if not thread_ts:
                return
            ours = event.get("parent_user_id") == context.bot_user_id or await conversations.state(ref) is not None
            if not ours:
                return
        key = f"evt:{body.get('event_id') or event.get('client_msg_id') or event['ts']}"
        if not await conversations.first_delivery(key):
            return
        await conversations.message(ref, text, key=key, files=event.get("files"))
