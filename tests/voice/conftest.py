"""Voice fixtures: one real tiny.en transcriber for the session (the model loads once per process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from oppscout.core.settings import Settings
from oppscout.voice.transcriber import WhisperTranscriber

# What a workspace that asked about these before gives Whisper as hotwords.
WORKSPACE_HOTWORDS = ("r/SaaS", "r/smallbusiness", "r/freelance", "r/startups", "r/marketing", "churn", "invoicing")


@pytest.fixture(scope="session")
def transcriber(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WhisperTranscriber]:
    """The production transcriber with default settings: bundled tiny.en, int8, CPU, VAD on."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("voice"), _env_file=None)
    instance = WhisperTranscriber(settings)
    yield instance
    instance.close()


@pytest.fixture
def voice_dir(shared_dir: Path) -> Path:
    """The shared voice notes."""
    return shared_dir / "data" / "voice"
