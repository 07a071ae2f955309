"""Every voice note in ../shared/data/voice through decoding, tiny.en and the parser."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from oppscout.core.conversation.parser import Intent, parse
from oppscout.core.conversation.vocabulary import WorkspaceVocabulary
from oppscout.core.errors import VoiceError
from oppscout.voice.errors import NoSpeechError, TruncatedAudioError, UndecodableAudioError
from oppscout.voice.transcriber import WhisperTranscriber
from tests.voice.conftest import WORKSPACE_HOTWORDS

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
KNOWN = [h[2:] for h in WORKSPACE_HOTWORDS if h.startswith("r/")]


def hear(transcriber: WhisperTranscriber, path: Path) -> str:
    return transcriber.transcribe_sync(path.read_bytes(), WORKSPACE_HOTWORDS).text


def test_every_shared_voice_file_is_covered(voice_dir: Path) -> None:
    covered = {
        "jfk.flac", "not_audio.ogg", "scan_smallbusiness_freelance.ogg", "silence_20s.ogg",
        "status_question.ogg", "truncated.ogg", "watch_saas_churn.m4a",
    }  # fmt: skip
    present = {p.name for p in voice_dir.iterdir() if not p.name.startswith("LICENSE")}
    assert present == covered, "a new voice file needs a test here"


async def test_discord_style_ogg_opus_scan_becomes_the_request(
    transcriber: WhisperTranscriber, voice_dir: Path
) -> None:
    audio = (voice_dir / "scan_smallbusiness_freelance.ogg").read_bytes()
    transcript = await transcriber.transcribe(audio, filename="voice-message.ogg", hotwords=WORKSPACE_HOTWORDS)
    assert transcript.language == "en"
    assert transcript.duration == pytest.approx(8.9, abs=0.2)
    parsed = parse(transcript.text, NOW, known_subreddits=KNOWN)
    assert parsed.intent == Intent.SCAN
    assert sorted(s.lower() for s in parsed.subreddits) == ["freelance", "smallbusiness"]
    assert [k.lower() for k in parsed.keywords] == ["invoicing"]
    assert parsed.window is not None and parsed.window[1] - parsed.window[0] == NOW - datetime(
        2026, 11, 15, 12, tzinfo=UTC
    )
    assert parsed.max_cost == 2


def test_slack_style_m4a_watch_becomes_the_watch(transcriber: WhisperTranscriber, voice_dir: Path) -> None:
    parsed = parse(hear(transcriber, voice_dir / "watch_saas_churn.m4a"), NOW, known_subreddits=KNOWN)
    assert parsed.intent == Intent.WATCH
    assert [s.lower() for s in parsed.subreddits] == ["saas"]
    assert [k.lower() for k in parsed.keywords] == ["churn"]
    assert parsed.threshold == 70


def test_spoken_status_question(transcriber: WhisperTranscriber, voice_dir: Path) -> None:
    text = hear(transcriber, voice_dir / "status_question.ogg")
    assert text.lower().rstrip("?.") == "how is my last analysis going"
    assert parse(text, NOW).intent == Intent.STATUS


def test_real_speech_is_transcribed_and_asks_for_subreddits(transcriber: WhisperTranscriber, voice_dir: Path) -> None:
    transcript = transcriber.transcribe_sync((voice_dir / "jfk.flac").read_bytes(), WORKSPACE_HOTWORDS)
    words = "".join(c for c in transcript.text.lower() if c.isalpha() or c == " ")
    assert "ask not what your country can do for you" in words
    assert transcript.duration == pytest.approx(11.0, abs=0.1)
    assert parse(transcript.text, NOW).missing == ["subreddits"]


@pytest.mark.parametrize(
    ("name", "error", "reply"),
    [
        ("silence_20s.ogg", NoSpeechError, "I couldn't hear any speech"),
        ("truncated.ogg", TruncatedAudioError, "seems cut off"),
        ("not_audio.ogg", UndecodableAudioError, "I couldn't read that file as audio"),
    ],
)
async def test_broken_and_silent_notes_get_their_own_reply(
    transcriber: WhisperTranscriber, voice_dir: Path, name: str, error: type[VoiceError], reply: str
) -> None:
    with pytest.raises(error) as raised:
        await transcriber.transcribe((voice_dir / name).read_bytes(), filename=name)
    assert type(raised.value) is error
    assert reply in raised.value.message and "type" in raised.value.message


def test_a_new_workspace_hears_churn(transcriber: WhisperTranscriber, voice_dir: Path) -> None:
    # No history: the hotwords are the common subreddits and product-research words. Without those words
    # tiny.en wrote "for tune", and the watch had no keyword.
    text = transcriber.transcribe_sync(
        (voice_dir / "watch_saas_churn.m4a").read_bytes(), WorkspaceVocabulary().hotwords()
    ).text
    parsed = parse(text, NOW)
    assert parsed.intent == Intent.WATCH
    assert [k.lower() for k in parsed.keywords] == ["churn"], text
