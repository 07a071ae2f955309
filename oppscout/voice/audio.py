"""Reading a voice note: size and duration limits, then decoding to 16 kHz mono samples through PyAV.

The size is checked before anything is parsed and the duration the container declares before a full
decode; the decoded length is checked too, because a container can lie or say nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import av.error
import numpy as np
import numpy.typing as npt

from oppscout.core.settings import Settings
from oppscout.voice.errors import (
    AudioTooLargeError,
    AudioTooLongError,
    EmptyAudioError,
    NoSpeechError,
    TruncatedAudioError,
    UndecodableAudioError,
)

SAMPLE_RATE = 16_000
# Below about -50 dBFS at its loudest, a note holds no speech a microphone picked up.
SILENCE_PEAK = 0.003
# Containers round their declared duration; a note a hair over the limit is still fine.
DURATION_SLACK_SECONDS = 1.0

Samples = npt.NDArray[np.float32]


@dataclass(frozen=True)
class AudioLimits:
    """The largest voice note accepted, in bytes and in seconds."""

    max_bytes: int = 25_000_000
    max_seconds: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> AudioLimits:
        """The limits configured in settings."""
        return cls(max_bytes=settings.voice_max_bytes, max_seconds=settings.voice_max_seconds)

    def check_size(self, size: int) -> None:
        """Raise when a file of ``size`` bytes is empty or too large to take."""
        if size == 0:
            raise EmptyAudioError()
        if size > self.max_bytes:
            raise AudioTooLargeError(size, self.max_bytes)

    def check_duration(self, seconds: float) -> None:
        """Raise when audio of this length is too long to transcribe."""
        if seconds > self.max_seconds + DURATION_SLACK_SECONDS:
            raise AudioTooLongError(seconds, self.max_seconds)


@dataclass(frozen=True)
class DecodedAudio:
    """A voice note as 16 kHz mono float samples in [-1, 1]."""

    samples: Samples
    duration: float
    container: str

    @property
    def peak(self) -> float:
        """The loudest sample's magnitude."""
        return float(np.abs(self.samples).max()) if self.samples.size else 0.0


def declared_duration(container: av.container.InputContainer) -> float | None:
    """The duration the container's header declares, in seconds, without decoding."""
    if container.duration:
        return float(container.duration) / av.time_base
    stream = container.streams.audio[0]
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return None


def decode(data: bytes, limits: AudioLimits) -> DecodedAudio:
    """Decode a voice note, enforcing the limits. Raises a VoiceError subclass the user can act on."""
    limits.check_size(len(data))
    try:
        container = av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except av.error.EOFError as error:
        raise TruncatedAudioError() from error
    except (av.error.FFmpegError, ValueError, OSError) as error:
        raise UndecodableAudioError() from error
    with container:
        if not container.streams.audio:
            raise UndecodableAudioError("That file has no sound track. Send a voice note or type your request.")
        declared = declared_duration(container)
        if declared is not None:
            limits.check_duration(declared)
        samples = _decode_samples(container, limits)
        name = container.format.name
    duration = len(samples) / SAMPLE_RATE
    if duration == 0:
        raise EmptyAudioError()
    return DecodedAudio(samples=samples, duration=duration, container=name)


def _decode_samples(container: av.container.InputContainer, limits: AudioLimits) -> Samples:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    chunks: list[npt.NDArray[np.int16]] = []
    count = 0
    max_samples = int((limits.max_seconds + DURATION_SLACK_SECONDS) * SAMPLE_RATE)
    try:
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunk = out.to_ndarray().reshape(-1).astype(np.int16, copy=False)
                chunks.append(chunk)
                count += chunk.size
            if count > max_samples:
                raise AudioTooLongError(count / SAMPLE_RATE, limits.max_seconds)
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1).astype(np.int16, copy=False))
    except av.error.EOFError as error:
        raise TruncatedAudioError() from error
    except av.error.FFmpegError as error:
        # Frames that decoded before the damage would give a request with its end missing.
        if count:
            raise TruncatedAudioError() from error
        raise UndecodableAudioError() from error
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return (np.concatenate(chunks).astype(np.float32) / 32768.0).astype(np.float32)


def require_sound(audio: DecodedAudio) -> None:
    """Raise NoSpeechError for audio that is silent throughout, before spending a model run on it."""
    if audio.peak < SILENCE_PEAK:
        raise NoSpeechError()
