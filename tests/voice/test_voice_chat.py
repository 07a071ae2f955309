"""Voice notes through ChatService: "I heard: …", the parsed request to confirm, and a reply for every failure."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from oppscout.core.contract import AnalysisRequest, TimeRange, utcnow
from oppscout.core.conversation.chat import ChatService
from oppscout.core.conversation.dialog import Dialog
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.health import ComponentState
from oppscout.core.settings import Settings
from oppscout.runtime import Runtime
from oppscout.voice.transcriber import WhisperTranscriber

THREAD = ThreadRef("discord", "guild-1", "channel", "thread-voice", "ana")
PLEASE_TYPE = "Voice is unavailable right now, please type your request."


async def seed_history(runtime: Runtime) -> None:
    """Analyses this workspace ran before: their subreddits and topics become Whisper's hotwords."""
    now = utcnow()
    earlier = ThreadRef("discord", "guild-1", "channel", "older", "bo")
    for subreddits, keywords in ((["SaaS"], ["churn"]), (["smallbusiness", "freelance"], ["invoicing"])):
        request = AnalysisRequest(
            subreddits=subreddits,
            keywords=keywords,
            time_range=TimeRange(start=now - timedelta(days=7), end=now),
            max_cost=Decimal("1"),
        )
        await runtime.service.submit(request, thread=earlier)


def chat(runtime: Runtime, transcriber: WhisperTranscriber | None) -> ChatService:
    return ChatService(runtime.database, runtime.service, Dialog(runtime.settings), transcriber)


async def test_voice_note_is_echoed_confirmed_and_run(
    runtime: Runtime, transcriber: WhisperTranscriber, voice_dir: Path
) -> None:
    await seed_history(runtime)
    audio = (voice_dir / "scan_smallbusiness_freelance.ogg").read_bytes()
    outcome = await chat(runtime, transcriber).handle_voice(THREAD, audio, filename="voice-message.ogg")
    heard, understood = outcome.messages
    assert outcome.heard is not None and heard == f"I heard: “{outcome.heard}”"
    assert "r slash smallbusiness" in outcome.heard
    assert understood.startswith(
        "Here's what I understood: r/smallbusiness, r/freelance about invoicing, last 14 days, budget $2."
    )
    assert understood.endswith("Run it? (yes / edit … / cancel)")
    assert outcome.submission is None  # voice is always confirmed, even within the auto-approve amount

    confirmed = await chat(runtime, transcriber).handle(THREAD, "yes")
    assert confirmed.submission is not None and confirmed.submission.queued
    response = await runtime.service.get(confirmed.submission.analysis_id)
    assert response.metadata.subreddits == ["smallbusiness", "freelance"]


async def test_spoken_status_question_reports_the_thread(
    runtime: Runtime, transcriber: WhisperTranscriber, voice_dir: Path
) -> None:
    service = chat(runtime, transcriber)
    started = await service.handle(THREAD, "r/SaaS about churn")
    assert started.submission is not None
    outcome = await service.handle_voice(THREAD, (voice_dir / "status_question.ogg").read_bytes())
    assert outcome.messages[1] == "Your analysis of r/SaaS is queued."


async def test_silent_note_gets_its_reply_and_leaves_the_thread_as_it_was(
    runtime: Runtime, transcriber: WhisperTranscriber, voice_dir: Path
) -> None:
    service = chat(runtime, transcriber)
    asked = await service.handle(THREAD, "r/startups about hiring, budget $4")
    assert "Run it?" in asked.messages[0]
    silent = await service.handle_voice(THREAD, (voice_dir / "silence_20s.ogg").read_bytes())
    assert silent.messages == [
        "I couldn't hear any speech in that voice note. Check your microphone and try again, or type your request."
    ]
    assert silent.heard is None
    assert (await service.handle(THREAD, "yes")).submission is not None  # the confirmation was still open


async def test_without_a_transcriber_people_are_asked_to_type(runtime: Runtime, voice_dir: Path) -> None:
    service = chat(runtime, None)
    assert not service.voice_available
    outcome = await service.handle_voice(THREAD, (voice_dir / "status_question.ogg").read_bytes())
    assert outcome.messages == [PLEASE_TYPE]


async def test_voice_turned_off_in_settings(runtime: Runtime, tmp_path: Path, voice_dir: Path) -> None:
    off = WhisperTranscriber(Settings(data_dir=tmp_path, voice_enabled=False, _env_file=None))
    try:
        service = ChatService(
            runtime.database,
            runtime.service,
            Dialog(Settings(data_dir=tmp_path, voice_enabled=False, _env_file=None)),
            off,
        )
        assert not service.voice_available
        assert (await service.handle_voice(THREAD, b"anything")).messages == [PLEASE_TYPE]
        assert (await off.health()).status == ComponentState.DISABLED
    finally:
        off.close()


async def test_broken_model_means_voice_is_down_and_people_type(
    runtime: Runtime, tmp_path: Path, voice_dir: Path
) -> None:
    empty_model_dir = tmp_path / "not-a-model"
    empty_model_dir.mkdir()
    broken = WhisperTranscriber(Settings(data_dir=tmp_path, whisper_model=str(empty_model_dir), _env_file=None))
    try:
        outcome = await chat(runtime, broken).handle_voice(THREAD, (voice_dir / "status_question.ogg").read_bytes())
        assert outcome.messages == [PLEASE_TYPE]
        health = await broken.health()
        assert health.status == ComponentState.DOWN and health.detail
    finally:
        broken.close()


async def test_healthy_transcriber(transcriber: WhisperTranscriber) -> None:
    health = await transcriber.health()
    assert health.status == ComponentState.HEALTHY
    assert "tiny.en" in health.detail


async def test_typed_messages_are_answered_while_a_voice_note_is_transcribed(
    runtime: Runtime, transcriber: WhisperTranscriber, voice_dir: Path
) -> None:
    # Transcription runs on the transcriber's own thread, so the event loop keeps serving other threads.
    service = chat(runtime, transcriber)
    voice = asyncio.create_task(service.handle_voice(THREAD, (voice_dir / "jfk.flac").read_bytes()))
    await asyncio.sleep(0)  # let the voice note start
    typed = await service.handle(ThreadRef("discord", "guild-1", "channel", "other", "bo"), "help")
    assert "r/smallbusiness" in typed.messages[0]
    assert not voice.done()
    heard = await voice
    assert "ask not what your country can do for you" in heard.messages[0].lower().replace(",", "").replace(".", "")
