"""Where a Discord conversation is held: a thread, the channel itself, or the user's DMs.

A conversation is keyed by a ``ThreadRef`` whose ``channel_id`` is always the Discord channel to
post into (a thread is a channel in Discord) and whose ``thread_id`` names the conversation:

- a thread: the thread's id for both;
- a DM: the DM channel's id for both;
- a plain guild channel (when threads are not allowed there): the channel's id for both, so the
  channel holds one shared dialog, as a conversation in a room does.

Both ids are always Discord channel ids, so anything that posts later (the worker's notifier,
alerts from the outbox) can post to either without a gateway to find its way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import discord

from oppscout.bot.render.embeds import clip
from oppscout.core.db.repositories.conversations import ThreadRef

log = logging.getLogger(__name__)

PLATFORM = "discord"
MAX_MESSAGE_CHARS = 2000
THREAD_NAME_CHARS = 100
THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440

NO_THREAD_NOTE = (
    "I can't start a thread here (I need *Create Public Threads* and *Send Messages in Threads*), "
    "so I'll answer in this channel."
)
NO_SEND_NOTE = "I can't post in this channel (I need *Send Messages* there), so I'll continue in your DMs."
NO_DM_NOTE = (
    "I can't post in this channel or send you a DM. Ask an admin to give me *Send Messages* here, "
    "or allow DMs from server members."
)
DM_AFTER_FORBIDDEN = "I couldn't post in the channel (missing permission), so here it is by DM."


def is_thread(channel: Any) -> bool:
    """Whether ``channel`` is a Discord thread."""
    kind = getattr(channel, "type", None)
    return isinstance(channel, discord.Thread) or kind in (
        discord.ChannelType.public_thread,
        discord.ChannelType.private_thread,
        discord.ChannelType.news_thread,
    )


def is_dm(channel: Any) -> bool:
    """Whether ``channel`` is a direct-message channel."""
    return isinstance(channel, discord.DMChannel) or getattr(channel, "type", None) == discord.ChannelType.private


def ref_for(channel_id: int, *, guild_id: int | None, user_id: int) -> ThreadRef:
    """The conversation key for a message or interaction in ``channel_id`` (see the module docstring)."""
    workspace = str(guild_id) if guild_id is not None else "dm"
    return ThreadRef(PLATFORM, workspace, str(channel_id), str(channel_id), str(user_id))


def ref_for_channel(channel: Any, *, guild_id: int | None, user_id: int) -> ThreadRef:
    """``ref_for`` for a discord.py channel object (DMs are filed under the workspace ``dm``)."""
    return ref_for(channel.id, guild_id=None if is_dm(channel) else guild_id, user_id=user_id)


def messageable(channel: object) -> discord.abc.Messageable | None:
    """``channel`` when messages can be posted to it (forums and categories cannot take messages)."""
    return channel if isinstance(channel, discord.abc.Messageable) else None


def chunks(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """``text`` split at line ends into pieces Discord accepts (2,000 characters each)."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            pieces.append(current)
            current = ""
        current += line
    if current.strip():
        pieces.append(current)
    return pieces or [clip(text, limit) or "…"]


@dataclass
class Place:
    """Where replies go, with the fallbacks Discord permissions may force on us.

    ``send`` posts to ``channel``; when Discord refuses (403), it explains and moves to the user's
    DMs, and when that is refused too, to the interaction's follow-ups (visible to the user only).
    """

    ref: ThreadRef
    channel: discord.abc.Messageable | None
    user: discord.User | discord.Member
    interaction: discord.Interaction[Any] | None = None
    note: str | None = None
    sent: list[discord.Message] = field(default_factory=list)

    async def send(self, text: str, *, view: discord.ui.View | None = None) -> None:
        """Post ``text`` (split to Discord's limit), with ``view`` under the last piece."""
        if self.note:
            text, self.note = f"{self.note}\n\n{text}", None
        pieces = chunks(text)
        for index, piece in enumerate(pieces):
            last_view = view if index == len(pieces) - 1 else None
            await self._send_one(piece, last_view)

    async def _send_one(self, text: str, view: discord.ui.View | None) -> None:
        if self.channel is not None:
            try:
                self.sent.append(await self._to(self.channel, text, view))
                return
            except discord.Forbidden:
                log.info("cannot post in channel %s; falling back", self.ref.channel_id)
                if not is_dm(self.channel):
                    await self._move_to_dm()
                    if self.channel is not None:
                        self.sent.append(await self._to(self.channel, f"{DM_AFTER_FORBIDDEN}\n\n{text}", view))
                        return
                self.channel = None
        if self.interaction is not None:
            message = await self.interaction.followup.send(
                clip(f"{NO_DM_NOTE}\n\n{text}", MAX_MESSAGE_CHARS), ephemeral=True, wait=True, **_view(view)
            )
            self.sent.append(message)
            return
        log.warning("no way to reach user %s in %s", self.ref.user_id, self.ref.channel_id)

    async def _move_to_dm(self) -> None:
        try:
            dm = await self.user.create_dm()
        except discord.HTTPException:
            self.channel = None
            return
        self.channel = dm
        self.ref = ref_for(dm.id, guild_id=None, user_id=self.user.id)

    @staticmethod
    async def _to(channel: discord.abc.Messageable, text: str, view: discord.ui.View | None) -> discord.Message:
        try:
            return await channel.send(text, **_view(view))
        except discord.Forbidden:
            raise
        except discord.HTTPException as error:
            # Discord answers 403 to a DM the user does not accept (code 50007); anything else is ours.
            if error.code == 50007:
                raise discord.Forbidden(error.response, error.text) from error
            raise


def _view(view: discord.ui.View | None) -> dict[str, Any]:
    return {"view": view} if view is not None else {}


def thread_name(text: str) -> str:
    """A thread title from the request: its first line, within Discord's 100 characters."""
    first = " ".join(text.split()) or "Opportunity scan"
    return clip(f"🔎 {first}", THREAD_NAME_CHARS)


async def place_for_interaction(interaction: discord.Interaction[Any], title: str, header: str) -> Place:
    """Open the conversation for a slash command that was already deferred.

    In a guild text channel, the deferred response becomes ``header`` and a thread is started from
    it. Without thread permissions the conversation stays in the channel; without permission to
    post there, it moves to the user's DMs. Each fallback is explained to the user.
    """
    channel = interaction.channel
    user = interaction.user
    guild_id = interaction.guild_id
    if channel is None:
        raise RuntimeError("interaction without a channel")
    if guild_id is None or is_dm(channel) or is_thread(channel):
        await interaction.edit_original_response(content=header)
        return Place(
            ref_for_channel(channel, guild_id=guild_id, user_id=user.id), messageable(channel), user, interaction
        )
    permissions = interaction.app_permissions
    message = await interaction.edit_original_response(content=header)
    if permissions.create_public_threads and permissions.send_messages_in_threads:
        try:
            thread = await message.create_thread(name=thread_name(title), auto_archive_duration=THREAD_ARCHIVE_MINUTES)
        # ValueError: discord.py does not know the server yet (no GUILD_CREATE seen), so no thread.
        except (discord.Forbidden, ValueError):
            log.info("thread creation refused in %s", channel.id)
        else:
            return Place(ref_for_channel(thread, guild_id=guild_id, user_id=user.id), thread, user, interaction)
    if permissions.send_messages:
        await interaction.edit_original_response(content=f"{header}\n{NO_THREAD_NOTE}")
        return Place(
            ref_for_channel(channel, guild_id=guild_id, user_id=user.id), messageable(channel), user, interaction
        )
    place = Place(ref_for_channel(channel, guild_id=guild_id, user_id=user.id), None, user, interaction)
    await place._move_to_dm()
    note = NO_SEND_NOTE if place.channel is not None else NO_DM_NOTE
    await interaction.edit_original_response(content=f"{header}\n{note}")
    if place.channel is not None:
        place.note = f"(You asked in <#{channel.id}>, where I can't post.)"
    return place


async def place_for_message(message: discord.Message, title: str) -> Place:
    """Open the conversation for a mention or DM: a new thread from a channel message when allowed."""
    channel = message.channel
    guild_id = message.guild.id if message.guild else None
    author = message.author
    if guild_id is None or is_dm(channel) or is_thread(channel):
        return Place(ref_for_channel(channel, guild_id=guild_id, user_id=author.id), messageable(channel), author)
    try:
        thread = await message.create_thread(name=thread_name(title), auto_archive_duration=THREAD_ARCHIVE_MINUTES)
    except (discord.Forbidden, ValueError):
        return Place(
            ref_for_channel(channel, guild_id=guild_id, user_id=author.id), channel, author, note=NO_THREAD_NOTE
        )
    return Place(ref_for_channel(thread, guild_id=guild_id, user_id=author.id), thread, author)
