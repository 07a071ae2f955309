"""Audio clips and voice notes shared in Slack: which files are audio, and downloading them with the bot token."""

from __future__ import annotations

from typing import Any

import aiohttp

from oppscout.core.errors import VoiceError

AUDIO_EXTENSIONS = {"webm", "m4a", "mp3", "ogg", "oga", "opus", "wav", "aac", "flac", "amr", "mp4"}


def audio_file(files: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """The first audio clip or voice note among a message's files, if any."""
    for file in files or []:
        mimetype = str(file.get("mimetype", ""))
        if mimetype.startswith("audio/") or file.get("subtype") == "slack_audio":
            return file
        if mimetype.startswith("video/"):
            continue  # a screen recording is not a voice note, even in an audio-capable container
        if str(file.get("filetype", "")).lower() in AUDIO_EXTENSIONS:
            return file
    return None


class AudioFetcher:
    """Downloads Slack files, which need the bot token; refuses files over the size limit."""

    def __init__(self, max_bytes: int, *, timeout: float = 30) -> None:
        self.max_bytes = max_bytes
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def fetch(self, file: dict[str, Any], token: str) -> bytes:
        """The file's bytes, downloaded with the bot ``token``; raises VoiceError with a message for the user when it cannot be had."""
        megabytes = self.max_bytes // 1_000_000
        if int(file.get("size") or 0) > self.max_bytes:
            raise VoiceError(
                f"That clip is too long for me (over {megabytes} MB). Please keep it under a minute or two."
            )
        url = file.get("url_private_download") or file.get("url_private")
        if not url:
            raise VoiceError("Slack didn't give me a link to that clip. Please try sharing it again.")
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with (
                aiohttp.ClientSession(timeout=self.timeout) as session,
                session.get(str(url), headers=headers) as response,
            ):
                # Without a valid token Slack answers 200 with its HTML sign-in page, not the audio.
                if response.status != 200 or response.content_type == "text/html":
                    raise VoiceError(
                        "I couldn't download that clip from Slack. Please try again, or type your request."
                    )
                data = bytearray()
                async for block in response.content.iter_chunked(65536):
                    data += block
                    if len(data) > self.max_bytes:
                        raise VoiceError(f"That clip is too long for me (over {megabytes} MB).")
        except aiohttp.ClientError as error:
            raise VoiceError(
                "I couldn't download that clip from Slack. Please try again, or type your request."
            ) from error
        return bytes(data)
