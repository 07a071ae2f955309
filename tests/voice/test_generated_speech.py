"""Speech the tests generate with espeak-ng, as WAV and as OGG/Opus, through transcription to the request."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from oppscout.core.conversation.parser import Intent, parse
from oppscout.voice.transcriber import WhisperTranscriber
from tests.voice.conftest import WORKSPACE_HOTWORDS
from tests.voice.sounds import espeak_available, speak, to_ogg_opus

pytestmark = pytest.mark.skipif(
    not espeak_available(), reason="espeak-ng is not installed (apt-get install espeak-ng) to generate speech"
)
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
KNOWN = [h[2:] for h in WORKSPACE_HOTWORDS if h.startswith("r/")]

SENTENCES: list[tuple[str, dict[str, Any]]] = [
    (
        "Scan r slash startups for hiring over the last month. Budget five dollars.",
        {"intent": Intent.SCAN, "subreddits": ["startups"], "keywords": ["hiring"], "days": 30, "max_cost": 5},
    ),
    (
        "Watch r slash marketing for reporting and alert me when an opportunity scores above eighty.",
        {"intent": Intent.WATCH, "subreddits": ["marketing"], "keywords": ["reporting"], "threshold": 80},
    ),
    ("How is my last analysis going?", {"intent": Intent.STATUS}),
    ("Stop the scan please.", {"intent": Intent.CANCEL}),
    ("How much have we spent this month?", {"intent": Intent.SPEND}),
]


@pytest.mark.parametrize("container", ["wav", "ogg-opus"])
@pytest.mark.parametrize(("sentence", "expect"), SENTENCES, ids=[s[:30] for s, _ in SENTENCES])
def test_generated_speech_becomes_the_request(
    transcriber: WhisperTranscriber, tmp_path: Path, sentence: str, expect: dict[str, Any], container: str
) -> None:
    audio = speak(sentence, tmp_path)
    if container == "ogg-opus":
        audio = to_ogg_opus(audio)
    text = transcriber.transcribe_sync(audio, WORKSPACE_HOTWORDS).text
    parsed = parse(text, NOW, known_subreddits=KNOWN)
    assert parsed.intent == expect["intent"], text
    if "subreddits" in expect:
        assert [s.lower() for s in parsed.subreddits] == expect["subreddits"], text
        assert [k.lower() for k in parsed.keywords] == expect["keywords"], text
    if "days" in expect:
        assert parsed.window is not None
        assert (parsed.window[1] - parsed.window[0]).days == expect["days"], text
    if "max_cost" in expect:
        assert parsed.max_cost == expect["max_cost"], text
    if "threshold" in expect:
        assert parsed.threshold == expect["threshold"], text
