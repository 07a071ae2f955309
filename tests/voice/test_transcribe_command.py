"""``oppscout transcribe FILE --json`` prints ``{text, duration, language}``; bad files get the same replies as chat."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oppscout.cli import main


def test_transcribe_prints_text_duration_and_language(voice_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transcribe", str(voice_dir / "status_question.ogg"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"text", "duration", "language"}
    assert out["text"].lower().rstrip("?.") == "how is my last analysis going"
    assert out["duration"] == pytest.approx(2.3, abs=0.1)
    assert out["language"] == "en"


def test_transcribe_explains_a_file_that_is_not_audio(voice_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transcribe", str(voice_dir / "not_audio.ogg"), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("I couldn't read that file as audio.")


def test_transcribe_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transcribe", str(tmp_path / "nope.ogg")]) == 2
    assert "No such file" in capsys.readouterr().err
