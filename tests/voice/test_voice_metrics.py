"""Transcription figures for Prometheus: how long voice notes take, and why the refused ones were refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import generate_latest

from oppscout.core.errors import VoiceError
from oppscout.voice.transcriber import WhisperTranscriber


async def test_each_voice_note_is_timed_by_outcome(transcriber: WhisperTranscriber, voice_dir: Path) -> None:
    registry = transcriber.metrics.registry

    def count(outcome: str) -> float:
        value = registry.get_sample_value("oppscout_transcription_duration_seconds_count", {"outcome": outcome})
        return value or 0.0

    ok_before, bad_before = count("ok"), count("UndecodableAudioError")
    audio_before = registry.get_sample_value("oppscout_transcribed_audio_seconds_total") or 0.0
    transcript = await transcriber.transcribe((voice_dir / "jfk.flac").read_bytes(), filename="jfk.flac")
    with pytest.raises(VoiceError):
        await transcriber.transcribe((voice_dir / "not_audio.ogg").read_bytes(), filename="not_audio.ogg")

    assert count("ok") == ok_before + 1
    assert count("UndecodableAudioError") == bad_before + 1
    audio_after = registry.get_sample_value("oppscout_transcribed_audio_seconds_total") or 0.0
    assert audio_after - audio_before == pytest.approx(transcript.duration)
    assert b"oppscout_transcription_duration_seconds_bucket" in generate_latest(registry)
