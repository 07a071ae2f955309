"""What the bot does for each slash command, button, form and message. Listeners only call these.

Every handler acknowledges first (Discord allows 3 seconds), translates the interaction into a
``core`` call (ChatService or AnalysisService) and answers in the conversation's place. Each
interaction and message is handled once: a redelivered interaction id, a repeated message id or
a second click on a confirmation is recognised in the ``inbound_events`` table and does nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import discord
from pydantic import ValidationError

from oppscout.bot.discord.places import (
    Place,
    is_thread,
    messageable,
    place_for_interaction,
    place_for_message,
    ref_for_channel,
)
from oppscout.bot.discord.replies import ConversationReplies, DiscordTransport, submission_lines
from oppscout.bot.discord.scans import EXPIRED, PendingScans, needs_confirmation, scan_view
from oppscout.bot.discord.views import EditModal
from oppscout.bot.discord.voice import check_limits, voice_attachment
from oppscout.bot.render.embeds import clip
from oppscout.core.contract import AnalysisRequest
from oppscout.core.conversation.chat import describe_status
from oppscout.core.conversation.commands import Cancel, Confirm, StartAnalysis
from oppscout.core.conversation.dialog import HELP_TEXT, describe, friendly
from oppscout.core.conversation.state import FormFields
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.errors import AppError, InvalidRequestError, NotFoundError

log = logging.getLogger(__name__)

COMMANDS_HELP = (
    "**Commands**\n"
    "• `/scout request:` ask in your own words\n"
    "• `/scout-scan` subreddits, window, keywords and budget as fields\n"
    "• `/scout-status`, `/scout-cancel` the latest analysis here (or one by id)\n"
    "• `/scout-watch`, `/scout-spend`, `/scout-help`\n"
    "Mention me or DM me in plain words, or send a voice message (in DMs, or as a reply to me)."
)
ASK_IN_PLACE = (
    "Tell me what to look for, e.g. `@Scout what are people struggling with in r/smallbusiness about invoicing, "
    "last two weeks`. `/scout-help` shows everything I can do."
)
ALREADY_ANSWERED = "That request was already answered here; nothing new was started."
NO_ANALYSIS = "You have no analysis here yet. Start one with `/scout`."
MENTION = re.compile(r"<@!?\d+>")
SPLIT = re.compile(r"[\s,;]+")
AUTOCOMPLETE_HISTORY = 50
MAX_CHOICES = 25
MAX_CHOICE_CHARS = 100  # Discord's limit on an autocomplete choice's name and value
NOT_YOURS = "This is {name}'s request: only they can run, edit or cancel it. Ask me with `/scout` for your own."


def split_names(text: str) -> list[str]:
    """Subreddit names from free text like ``r/SaaS, freelance``."""
    return [name for name in SPLIT.split(text) if name]


def workspace_of(interaction: discord.Interaction[Any]) -> str:
    """The workspace id analyses from this interaction are filed under."""
    return str(interaction.guild_id) if interaction.guild_id else "dm"


class DiscordHandlers(ConversationReplies):
    """The bot's behaviour, independent of how discord.py delivers events."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending_scans = PendingScans()

    # ---- slash commands ---------------------------------------------------------------------

    async def scout(self, interaction: discord.Interaction[Any], request: str) -> None:
        """``/scout request:…``: defer, open a thread from the response, then talk there."""
        if not await self._defer_once(interaction):
            return
        header = f"🔎 **{interaction.user.display_name}** asked: {clip(request, 1500)}"
        place = await place_for_interaction(interaction, request, header)
        ref = place.ref
        outcome = await self.chat.handle(ref, request, idempotency_key=f"discord:{interaction.id}")
        await self.reply(place, outcome, ref)

    def build_request(
        self, subreddits: str, window_days: int | None, keywords: str | None, budget: float | None
    ) -> AnalysisRequest:
        """The request of a ``/scout-scan``; InvalidRequestError says what to fix."""
        now = self.now()
        days = window_days or self.settings.default_window_days
        max_cost = Decimal(str(budget)) if budget is not None else self.settings.default_max_cost_usd
        try:
            return AnalysisRequest.model_validate(
                {
                    "subreddits": split_names(subreddits),
                    "timeRange": {"start": now - timedelta(days=days), "end": now},
                    "keywords": [k for k in (keywords or "").split(",") if k.strip()] or None,
                    "maxCost": max_cost,
                },
                context={"now": now},
            )
        except ValidationError as error:
            raise InvalidRequestError(f"I can't run that scan: {friendly(error)}") from error

    async def scan(
        self,
        interaction: discord.Interaction[Any],
        subreddits: str,
        window_days: int | None,
        keywords: str | None,
        budget: float | None,
    ) -> None:
        """``/scout-scan``: every field given, so it starts at once in a new thread (above the auto-approve budget, after Run)."""
        # Checked before deferring, so a typo or a refused budget gets a private answer instead of a public
        # thread; the service checks the same policy again when the scan starts.
        request = self.build_request(subreddits, window_days, keywords, budget)
        await self.analyses.check(
            StartAnalysis(request, workspace_id=workspace_of(interaction), user_id=str(interaction.user.id))
        )
        if not await self._defer_once(interaction):
            return
        header = f"🔎 **{interaction.user.display_name}** started a scan: {describe(request)}"
        place = await place_for_interaction(interaction, " ".join(f"r/{s}" for s in request.subreddits), header)
        if needs_confirmation(request, self.settings):
            # Above the auto-approve budget a scan is confirmed with its estimate, as a typed request is.
            token = self.pending_scans.add(request, place.ref)
            question = f"Here's the scan: {describe(request)}. Estimate: {self.chat.dialog.estimate(request).describe()}. Run it?"
            await place.send(question, view=scan_view(token))
            return
        await self._start_scan(place, request, f"discord:{interaction.id}")

    async def _start_scan(self, place: Place, request: AnalysisRequest, key: str) -> None:
        try:
            submission = await self.analyses.start(StartAnalysis(request, thread=place.ref, idempotency_key=key))
        except AppError as refused:
            # The caps may have been used up since the scan was checked: the refusal goes where the scan was.
            await place.send(refused.message)
            return
        lines = [f"Starting: {describe(request)}.", *submission_lines(submission)]
        await place.send("\n\n".join(lines))
        await self.start_progress(place, submission)

    async def confirm_scan(self, interaction: discord.Interaction[Any], token: str, action: str) -> None:
        """Run or Cancel a scan that waited for confirmation; a second click does nothing."""
        waiting = self.pending_scans.peek(token)
        if waiting is not None and await self._not_owner(interaction, int(waiting.ref.user_id)):
            return
        message_id = interaction.message.id if interaction.message else interaction.id
        if not await self.first_time(f"discord:confirm:{message_id}"):
            await interaction.response.send_message(ALREADY_ANSWERED, ephemeral=True)
            return
        await interaction.response.edit_message(view=None)
        pending = self.pending_scans.take(token)
        if pending is None:
            await interaction.followup.send(EXPIRED, ephemeral=True)
            return
        place = Place(pending.ref, messageable(interaction.channel), interaction.user, interaction)
        if action == "cancel":
            await place.send("OK, dropped it. Nothing was run or charged.")
            return
        await self._start_scan(place, pending.request, f"discord:scan:{token}")

    async def subreddit_choices(self, interaction: discord.Interaction[Any], current: str) -> list[str]:
        """Autocomplete for ``subreddits``: names this server analysed before, matching the last word typed."""
        typed = split_names(current)
        ends_with_separator = bool(current) and current[-1] in " ,;"
        done, partial = (typed, "") if ends_with_separator else (typed[:-1], typed[-1] if typed else "")
        partial = partial.lower().removeprefix("r/")
        rows = await self.analyses.recent(workspace_of(interaction), limit=AUTOCOMPLETE_HISTORY)
        known: dict[str, str] = {}
        for row in rows:
            # In DMs the "server" is everyone's DMs: only the asker's own history is theirs to see.
            if interaction.guild_id is None and row.requested_by != str(interaction.user.id):
                continue
            for name in row.request.get("subreddits", []):
                known.setdefault(name.lower(), name)
        chosen = {n.lower().removeprefix("r/") for n in done}
        prefix = ", ".join(done)
        values = []
        for key, name in known.items():
            value = f"{prefix}, {name}" if prefix else name
            # Discord refuses the whole answer ("Loading options failed") if one choice passes 100 characters.
            if key.startswith(partial) and key not in chosen and len(value) <= MAX_CHOICE_CHARS:
                values.append(value)
        return values[:MAX_CHOICES]

    async def analysis_choices(self, interaction: discord.Interaction[Any], current: str) -> list[tuple[str, str]]:
        """Autocomplete for ``analysis``: the asker's recent analyses here, as (label, id)."""
        rows = await self.analyses.recent(workspace_of(interaction), limit=AUTOCOMPLETE_HISTORY)
        choices: list[tuple[str, str]] = []
        for row in rows:
            if row.requested_by != str(interaction.user.id) or not row.id.startswith(current.strip().lower()):
                continue
            subs = ", ".join(f"r/{s}" for s in row.request.get("subreddits", []))
            when = f" · {row.status} · {row.created_at:%b %d %H:%M} UTC"
            choices.append((clip(subs, MAX_CHOICE_CHARS - len(when)) + when, row.id))
        return choices[:MAX_CHOICES]

    async def _deferred_target(self, interaction: discord.Interaction[Any], given: str | None) -> str | None:
        """Defer privately, then find the analysis a command is about; None on a repeat or none (user told).

        Status and cancel answer only the asker; a cancel reaches the thread itself through its progress
        message, which the cancellation ends for everyone to see.
        """
        if not await self._defer_once(interaction, ephemeral=True):
            return None
        target = await self._target(interaction, given)
        if target is None:
            await self.answer(interaction, NO_ANALYSIS, ephemeral=True)
        return target

    async def _target(self, interaction: discord.Interaction[Any], given: str | None) -> str | None:
        if given:
            return given.strip()
        channel = interaction.channel
        if channel is not None:
            ref = ref_for_channel(channel, guild_id=interaction.guild_id, user_id=interaction.user.id)
            latest, _ = await self._conversation(ref)
            if latest:
                return latest
        rows = await self.analyses.recent(workspace_of(interaction), limit=AUTOCOMPLETE_HISTORY)
        mine = [r.id for r in rows if r.requested_by == str(interaction.user.id)]
        return mine[0] if mine else None

    async def status(self, interaction: discord.Interaction[Any], analysis: str | None) -> None:
        """``/scout-status``: the analysis of this thread, or the user's latest here, or one by id."""
        target = await self._deferred_target(interaction, analysis)
        if target is None:
            return
        response = await self.analyses.get(target, workspace_id=workspace_of(interaction))
        await self.answer(interaction, describe_status(response), ephemeral=True)

    async def cancel(self, interaction: discord.Interaction[Any], analysis: str | None) -> None:
        """``/scout-cancel``: stop the analysis of this thread, or the user's latest here, or one by id."""
        target = await self._deferred_target(interaction, analysis)
        if target is None:
            return
        # Checks the analysis belongs to this server before anything is cancelled.
        await self.analyses.get(target, workspace_id=workspace_of(interaction))
        await self.answer(interaction, await self.analyses.cancel(target), ephemeral=True)

    async def _say(self, interaction: discord.Interaction[Any], text: str) -> None:
        if not await self._defer_once(interaction):
            return
        channel = interaction.channel
        if channel is None:
            raise NotFoundError("I can't see this channel.")
        ref = ref_for_channel(channel, guild_id=interaction.guild_id, user_id=interaction.user.id)
        outcome = await self.chat.handle(ref, text, idempotency_key=f"discord:{interaction.id}")
        await self.answer(interaction, "\n\n".join(outcome.messages) or "…")

    async def watch(self, interaction: discord.Interaction[Any], request: str) -> None:
        """``/scout-watch``: ask the dialog to watch subreddits."""
        await self._say(interaction, f"watch {request}")

    async def spend(self, interaction: discord.Interaction[Any]) -> None:
        """``/scout-spend``: what was spent."""
        await self._say(interaction, "spend")

    async def help(self, interaction: discord.Interaction[Any]) -> None:
        """``/scout-help``: examples and commands, only for the asker."""
        await self.answer(interaction, f"{HELP_TEXT}\n\n{COMMANDS_HELP}", ephemeral=True)

    # ---- buttons and the edit form ------------------------------------------------------------

    def _button_ref(self, interaction: discord.Interaction[Any], owner: int) -> ThreadRef:
        if interaction.channel is None:
            raise NotFoundError("I can't see this channel.")
        return ref_for_channel(interaction.channel, guild_id=interaction.guild_id, user_id=owner)

    async def _not_owner(self, interaction: discord.Interaction[Any], owner: int) -> bool:
        """Tell someone pressing another person's Run / Edit / Cancel, privately, that it is not theirs."""
        if not self.settings.discord_buttons_owner_only or interaction.user.id == owner:
            return False
        member = interaction.guild.get_member(owner) if interaction.guild is not None else None
        name = member.display_name if member is not None else f"<@{owner}>"
        await interaction.response.send_message(NOT_YOURS.format(name=name), ephemeral=True)
        return True

    async def confirm(self, interaction: discord.Interaction[Any], action: str, owner: int) -> None:
        """Run, Edit or Cancel the request awaiting confirmation; a second click does nothing."""
        if await self._not_owner(interaction, owner):
            return
        if action == "edit":
            form = (await self.chat.dialog_state(self._button_ref(interaction, owner))).form()
            await interaction.response.send_modal(EditModal(owner, form))
            return
        message_id = interaction.message.id if interaction.message else interaction.id
        if not await self.first_time(f"discord:confirm:{message_id}"):
            await interaction.response.send_message(ALREADY_ANSWERED, ephemeral=True)
            return
        # Taking the buttons away is the acknowledgement, and shows everyone the choice was made.
        await interaction.response.edit_message(view=None)
        ref = self._button_ref(interaction, owner)
        self.threads.forget_question(ref)
        command = Confirm() if action == "run" else Cancel()
        outcome = await self.chat.command(ref, command, idempotency_key=f"discord:{interaction.id}")
        await self.reply(Place(ref, messageable(interaction.channel), interaction.user, interaction), outcome, ref)

    async def edit_submitted(self, interaction: discord.Interaction[Any], form: FormFields, owner: int) -> None:
        """The Edit form: its fields go to the dialog as an ``EditDraft``, and the request is confirmed again."""
        edit = form.command()  # a field that cannot be read is answered privately, the buttons stay
        if interaction.message is not None:
            await interaction.response.edit_message(view=None)
        else:
            await interaction.response.defer()
        ref = self._button_ref(interaction, owner)
        self.threads.forget_question(ref)
        outcome = await self.chat.command(ref, edit, idempotency_key=f"discord:{interaction.id}")
        await self.reply(Place(ref, messageable(interaction.channel), interaction.user, interaction), outcome, ref)

    async def vote(self, interaction: discord.Interaction[Any], analysis_id: str, rank: int, vote: str) -> None:
        """👍 / 👎 on one opportunity, stored as feedback."""
        thanks = await self.analyses.record_feedback(
            analysis_id, rank, platform="discord", user_id=str(interaction.user.id), vote=1 if vote == "up" else -1
        )
        await interaction.response.send_message(f"{thanks} (opportunity #{rank})", ephemeral=True)

    # ---- mentions, DMs and voice messages -----------------------------------------------------

    async def message(self, message: discord.Message, bot_user_id: int) -> None:
        """A mention or DM, typed or as a voice message; other messages are not ours to read."""
        if message.author.bot:
            return
        mentioned = any(u.id == bot_user_id for u in message.mentions)
        if message.guild is not None and not mentioned:
            return
        if not await self.first_time(f"discord:message:{message.id}"):
            return
        text = MENTION.sub("", message.content).strip()
        voice = voice_attachment(message)
        if voice is not None:
            # Discord tells the length and size up front: refuse before downloading anything.
            check_limits(
                voice,
                max_seconds=self.settings.discord_max_voice_seconds,
                max_bytes=self.settings.discord_max_voice_bytes,
            )
        empty = self.chat.asks_nothing(text) if voice is None and message.guild is not None else None
        if empty is not None and message.guild is not None and not is_thread(message.channel):
            here = ref_for_channel(message.channel, guild_id=message.guild.id, user_id=message.author.id)
            # A "yes" in a conversation that had to stay in the channel continues it.
            if not await self.chat.talking_in(here):
                # A bare mention or a line with nothing to look for is answered where it was said: a public
                # thread just to ask back would be noise in the channel.
                answer = f"{HELP_TEXT}\n\n{COMMANDS_HELP}" if empty == "help" else ASK_IN_PLACE
                await Place(here, messageable(message.channel), message.author).send(answer)
                return
        place = await place_for_message(message, text or ("Voice request" if voice is not None else "Question"))
        ref = place.ref
        key = f"discord:{message.id}"
        if voice is not None:
            # Transcribing takes a few seconds: "Scout is typing…" shows the message was heard.
            async with typing_in(place):
                audio = await voice.read()
                outcome = await self.chat.handle_voice(ref, audio, filename=voice.filename, idempotency_key=key)
        else:
            # Typed text moves the conversation on: an open question's buttons must not start it later.
            await self.threads.retire_question(DiscordTransport(place), ref)
            outcome = await self.chat.handle(ref, text or "help", idempotency_key=key)
        await self.reply(place, outcome, ref)


@asynccontextmanager
async def typing_in(place: Place) -> AsyncIterator[None]:
    """Show the typing indicator in the conversation while the body runs; never fail because of it."""
    if place.channel is None:
        yield
        return
    try:
        indicator = place.channel.typing()
        await indicator.__aenter__()
    except discord.HTTPException:
        yield
        return
    try:
        yield
    finally:
        await indicator.__aexit__(None, None, None)
