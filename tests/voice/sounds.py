"""Audio made by the tests: tones, noise and silence encoded with PyAV, and speech from espeak-ng."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

RATE = 16_000


def encode(samples: npt.NDArray[np.float32], fmt: str = "wav", codec: str = "pcm_s16le", rate: int = RATE) -> bytes:
    """Mono float samples in [-1, 1] as a file of the given container and codec."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        assert isinstance(stream, av.AudioStream)
        pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16).reshape(1, -1)
        frame_size = stream.codec_context.frame_size or 1024
        for start in range(0, pcm.shape[1], frame_size):
            frame = av.AudioFrame.from_ndarray(pcm[:, start : start + frame_size].copy(), format="s16", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def noise(seconds: float, level: float = 0.1) -> npt.NDArray[np.float32]:
    """White noise: loud enough to be heard, with no speech in it."""
    return (np.random.default_rng(7).standard_normal(int(seconds * RATE)) * level).astype(np.float32)


def espeak_available() -> bool:
    """Whether the espeak-ng program is installed."""
    return shutil.which("espeak-ng") is not None


def speak(sentence: str, folder: Path) -> bytes:
    """``sentence`` spoken by espeak-ng (US English, a little slower than its default), as WAV bytes."""
    path = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "140", "-w", str(path), sentence], check=True, timeout=60)
    return path.read_bytes()


def to_ogg_opus(wav: bytes) -> bytes:
    """A WAV re-encoded as OGG/Opus at 48 kHz, the way Discord sends voice messages."""
    with av.open(io.BytesIO(wav), mode="r") as source:
        chunks = [f.to_ndarray().reshape(-1) for f in source.decode(audio=0)]
        rate = source.streams.audio[0].rate
    samples = np.concatenate(chunks).astype(np.float32) / 32768.0
    resampled = np.interp(np.arange(0, len(samples), rate / 48_000), np.arange(len(samples)), samples)
    return encode(resampled.astype(np.float32), fmt="ogg", codec="libopus", rate=48_000)
