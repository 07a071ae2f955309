"""The transcriber's health reaches the web's feature flags: voice is offered only when it works."""

from __future__ import annotations

from pathlib import Path

from oppscout.bot.web.health import HealthMonitor
from oppscout.core.health import VOICE_UNAVAILABLE, Component, ComponentState, ServiceState, derive_features
from oppscout.core.settings import Settings
from oppscout.runtime import Runtime
from oppscout.voice.health_report import report_transcriber_health
from oppscout.voice.transcriber import WhisperTranscriber


async def test_a_broken_model_turns_the_voice_flag_off(runtime: Runtime, tmp_path: Path) -> None:
    empty = tmp_path / "no-model"
    empty.mkdir()
    broken = WhisperTranscriber(Settings(data_dir=tmp_path, whisper_model=str(empty), _env_file=None), preload=False)
    try:
        reported = await report_transcriber_health(runtime.redis, broken)
        assert reported.status == ComponentState.DOWN
        report = await HealthMonitor(runtime).report()
        transcriber = report.components[Component.TRANSCRIBER]
        assert (transcriber.status, transcriber.reported_by) == (ServiceState.DOWN, "bot")
        features = derive_features(report)
        assert not features.voice_interface and not features.voice_transcription
        assert features.messages["voiceInterface"] == VOICE_UNAVAILABLE
    finally:
        broken.close()


async def test_a_working_transcriber_keeps_voice_on(runtime: Runtime, transcriber: WhisperTranscriber) -> None:
    await report_transcriber_health(runtime.redis, transcriber)
    report = await HealthMonitor(runtime).report()
    assert report.components[Component.TRANSCRIBER].detail.startswith("faster-whisper tiny.en")
    assert derive_features(report).voice_interface
