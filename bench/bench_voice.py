"""Voice: transcription real-time factor and peak memory for tiny.en int8 on the CPU, and the latency from
a voice note arriving to the first reply with a warm model.

Real-time factor = processing time (decode + VAD + Whisper) / audio duration, warm model, over the shared
voice notes. Peak memory is the max RSS of this process, which loads the model and does nothing heavier.
The latency runs ChatService.handle_voice end to end: vocabulary query, transcription, parse, dialog,
state saved in SQLite; the reply is the "I heard: …" plus the confirmation.

Run: uv run python -m bench.bench_voice [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from oppscout.core.conversation.chat import ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.core.conversation.vocabulary import WorkspaceVocabulary
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.settings import Settings
from oppscout.runtime import Runtime
from oppscout.voice.transcriber import WhisperTranscriber, load_model

VOICE = Path(__file__).resolve().parents[2] / "shared" / "data" / "voice"
SPEECH = ("scan_smallbusiness_freelance.ogg", "watch_saas_churn.m4a", "status_question.ogg", "jfk.flac")


def real_time_factor(transcriber: WhisperTranscriber, runs: int) -> tuple[list[tuple[str, float, float]], float]:
    hotwords = WorkspaceVocabulary().hotwords()
    rows: list[tuple[str, float, float]] = []
    total_audio = total_time = 0.0
    for name in SPEECH:
        audio = (VOICE / name).read_bytes()
        times = []
        duration = 0.0
        for _ in range(runs):
            started = time.perf_counter()
            duration = transcriber.transcribe_sync(audio, hotwords).duration
            times.append(time.perf_counter() - started)
        best = statistics.median(times)
        rows.append((name, duration, best))
        total_audio += duration
        total_time += best
    return rows, total_time / total_audio


async def first_reply_latency(settings: Settings, transcriber: WhisperTranscriber, runs: int) -> list[float]:
    runtime = await Runtime.open(settings)
    try:
        chat = ChatService(runtime.database, runtime.service, Dialog(settings), transcriber)
        audio = (VOICE / "scan_smallbusiness_freelance.ogg").read_bytes()
        latencies = []
        for run in range(runs):
            thread = ThreadRef("discord", "bench", "channel", f"thread-{run}", "bench")
            started = time.perf_counter()
            outcome = await chat.handle_voice(thread, audio, filename="voice-message.ogg")
            latencies.append(time.perf_counter() - started)
            assert outcome.messages[0].startswith("I heard:"), outcome.messages
        return latencies
    finally:
        await runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not VOICE.is_dir():
        sys.exit(f"needs the shared voice notes in {VOICE}")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), _env_file=None)
        transcriber = WhisperTranscriber(settings)
        started = time.perf_counter()
        load_model(settings)
        print(f"model load (tiny.en int8, cold in this process): {time.perf_counter() - started:.2f} s")
        transcriber.transcribe_sync((VOICE / "status_question.ogg").read_bytes())  # warm-up
        rows, rtf = real_time_factor(transcriber, args.runs)
        for name, duration, seconds in rows:
            print(f"{name:<36} audio {duration:5.2f} s  transcribed in {seconds:5.2f} s  RTF {seconds / duration:.3f}")
        print(f"real-time factor over all notes (median of {args.runs} runs each): {rtf:.3f}")
        latencies = asyncio.run(first_reply_latency(settings, transcriber, max(args.runs, 3)))
        print(
            f"voice note (8.9 s OGG/Opus) to first reply, warm model: median {statistics.median(latencies):.2f} s, "
            f"max {max(latencies):.2f} s over {len(latencies)} notes"
        )
        transcriber.close()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS of this process): {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
