"""Prometheus figures of transcription, served by the process that transcribes (``oppscout bot``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

# A short voice note takes a second or two on the CPU; a five-minute one tens of seconds.
SECONDS_BUCKETS = (0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120)


class VoiceMetrics:
    """Transcription time and audio length, by outcome, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.transcription_seconds = Histogram(
            "oppscout_transcription_duration_seconds",
            "Time one voice note took to check, decode and transcribe, by outcome.",
            ["outcome"],
            buckets=SECONDS_BUCKETS,
            registry=self.registry,
        )
        self.audio_seconds = Counter(
            "oppscout_transcribed_audio_seconds",
            "Seconds of speech transcribed.",
            registry=self.registry,
        )

    def record(self, outcome: str, seconds: float, audio_seconds: float = 0.0) -> None:
        """One voice note: ``outcome`` is ``ok`` or the name of the reason it was refused."""
        self.transcription_seconds.labels(outcome=outcome).observe(seconds)
        if audio_seconds:
            self.audio_seconds.inc(audio_seconds)

    def serve(self, port: int, addr: str = "0.0.0.0") -> None:  # all interfaces: Prometheus scrapes from elsewhere
        """Serve ``/metrics`` on ``port`` from a background thread for the life of the process."""
        start_http_server(port, addr=addr, registry=self.registry)
