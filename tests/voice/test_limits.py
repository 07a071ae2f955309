"""Limits and unreadable audio: each gets its own reply, and the cheap checks come before decoding."""

from __future__ import annotations

from pathlib import Path

import pytest

from oppscout.core.settings import Settings
from oppscout.voice.audio import AudioLimits, decode
from oppscout.voice.errors import AudioTooLargeError, AudioTooLongError, EmptyAudioError, NoSpeechError
from oppscout.voice.transcriber import WhisperTranscriber, load_model
from tests.voice.sounds import encode, noise


async def test_empty_upload(transcriber: WhisperTranscriber) -> None:
    with pytest.raises(EmptyAudioError) as raised:
        await transcriber.transcribe(b"", filename="voice.ogg")
    assert raised.value.message.startswith("That voice note is empty")


async def test_file_over_the_size_limit_is_refused_before_decoding(tmp_path: Path, voice_dir: Path) -> None:
    small = WhisperTranscriber(Settings(data_dir=tmp_path, voice_max_bytes=10_000, _env_file=None))
    try:
        with pytest.raises(AudioTooLargeError) as raised:
            # Not audio at all: only the size check can have refused it.
            await small.transcribe(b"x" * 20_000)
        assert raised.value.message.startswith("That voice note is 0.0 MB; I take up to 0 MB.")
        with pytest.raises(AudioTooLargeError):
            await small.transcribe((voice_dir / "scan_smallbusiness_freelance.ogg").read_bytes())
    finally:
        small.close()


def test_default_limits_are_25_mb_and_5_minutes() -> None:
    limits = AudioLimits.from_settings(Settings(_env_file=None))
    assert (limits.max_bytes, limits.max_seconds) == (25_000_000, 300)
    with pytest.raises(AudioTooLargeError):
        limits.check_size(25_000_001)
    with pytest.raises(AudioTooLongError) as raised:
        limits.check_duration(302)
    assert "5 min 2 s long; I transcribe up to 5 min" in raised.value.message


def test_note_longer_than_the_limit_is_refused_from_its_header(voice_dir: Path) -> None:
    with pytest.raises(AudioTooLongError) as raised:
        decode((voice_dir / "scan_smallbusiness_freelance.ogg").read_bytes(), AudioLimits(max_seconds=5))
    assert raised.value.message.startswith("That voice note is 9 s long; I transcribe up to 5 s.")


def test_decoding_gives_16_khz_mono(voice_dir: Path) -> None:
    audio = decode((voice_dir / "watch_saas_churn.m4a").read_bytes(), AudioLimits())
    assert audio.container.startswith("mov,mp4,m4a")
    assert audio.samples.ndim == 1 and audio.samples.dtype.name == "float32"
    assert audio.duration == pytest.approx(5.5, abs=0.1)
    assert len(audio.samples) == pytest.approx(5.5 * 16_000, rel=0.02)


async def test_noise_without_speech_is_not_made_into_words(transcriber: WhisperTranscriber) -> None:
    with pytest.raises(NoSpeechError):
        await transcriber.transcribe(encode(noise(3.0)), filename="noise.wav")


def test_one_model_per_process(transcriber: WhisperTranscriber, tmp_path: Path) -> None:
    other = Settings(data_dir=tmp_path, _env_file=None)
    assert load_model(transcriber.settings) is load_model(other)
