"""Discord voice messages: recognise them and check their limits before downloading anything."""

from __future__ import annotations

import discord

from oppscout.bot.discord.errors import VoiceMessageRejectedError

# MessageFlags.voice: the message is a voice message (one OGG/Opus attachment with a known duration).
VOICE_FLAG = 1 << 13


def voice_attachment(message: discord.Message) -> discord.Attachment | None:
    """The audio of a voice message, or None when ``message`` is not one."""
    is_voice = bool(message.flags.value & VOICE_FLAG)
    for attachment in message.attachments:
        if attachment.is_voice_message() or (is_voice and (attachment.content_type or "").startswith("audio/")):
            return attachment
    return None


def check_limits(attachment: discord.Attachment, *, max_seconds: float, max_bytes: int) -> None:
    """Refuse a voice message that is too long or too big; Discord tells us both before we download."""
    if attachment.duration is not None and attachment.duration > max_seconds:
        raise VoiceMessageRejectedError(
            f"That voice message is {attachment.duration:.0f} seconds long; I transcribe up to "
            f"{max_seconds:.0f} seconds. Please send a shorter one or type your request."
        )
    if attachment.size > max_bytes:
        raise VoiceMessageRejectedError(
            f"That voice message is {attachment.size / 1e6:.1f} MB; I download up to {max_bytes / 1e6:.0f} MB. "
            "Please send a shorter one or type your request."
        )
    content_type = (attachment.content_type or "audio/ogg").split(";")[0]
    if not content_type.startswith("audio/"):
        raise VoiceMessageRejectedError("That attachment isn't audio; send a voice message or type your request.")
