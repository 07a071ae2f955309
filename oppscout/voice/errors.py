"""What can be wrong with a voice note, each with its own reply that says what to do about it."""

from __future__ import annotations

from oppscout.core.errors import VoiceError


class AudioTooLargeError(VoiceError):
    """The file is bigger than the configured limit."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"That voice note is {size / 1_000_000:.1f} MB; I take up to {limit / 1_000_000:.0f} MB. "
            "Send a shorter one or type your request."
        )


class AudioTooLongError(VoiceError):
    """The audio lasts longer than the configured limit."""

    def __init__(self, seconds: float, limit: float) -> None:
        super().__init__(
            f"That voice note is {_duration(seconds)} long; I transcribe up to {_duration(limit)}. "
            "Say just the request (which subreddits, what about, how far back, budget) or type it."
        )


class UndecodableAudioError(VoiceError):
    """The file is not audio any decoder here can read."""

    def __init__(self, message: str = "I couldn't read that file as audio. Send a voice note (OGG, M4A, MP3, WAV "
                 "or FLAC) or type your request.") -> None:  # fmt: skip
        super().__init__(message)


class TruncatedAudioError(UndecodableAudioError):
    """The file starts like audio but ends early, as an interrupted upload does."""

    def __init__(self) -> None:
        super().__init__(
            "That voice note seems cut off, as if the upload didn't finish. Please send it again or type your request."
        )


class EmptyAudioError(VoiceError):
    """The file holds no sound at all."""

    def __init__(self) -> None:
        super().__init__("That voice note is empty: there's no sound in it. Please record it again or type it.")


class NoSpeechError(VoiceError):
    """The audio plays, but nobody speaks in it (silence or only noise)."""

    def __init__(self) -> None:
        super().__init__(
            "I couldn't hear any speech in that voice note. Check your microphone and try again, or type your request."
        )


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes and rest else f"{minutes} min" if minutes else f"{rest} s"
