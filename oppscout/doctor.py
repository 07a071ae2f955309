"""``oppscout doctor``: the health of every configured part, checked for real."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from oppscout.core.settings import Settings


@dataclass(frozen=True)
class Check:
    """One part's health: ok, off (not configured) or down."""

    name: str
    state: str
    detail: str


async def _redis(settings: Settings) -> Check:
    from redis.asyncio import Redis

    from oppscout.jobs.redis_server import EmbeddedRedis

    embedded = None
    try:
        url = settings.redis_url
        if not url:
            embedded = EmbeddedRedis(settings.data_dir)
            url = embedded.start()
        client = Redis.from_url(url, socket_connect_timeout=2)
        try:
            info = await client.info("server")
        finally:
            await client.aclose()
        kind = "embedded" if embedded else "configured"
        return Check("redis", "ok", f"{kind} Redis {info.get('redis_version')} answers")
    except Exception as error:  # noqa: BLE001 - doctor reports every failure rather than crashing
        return Check("redis", "down", f"{type(error).__name__}: {error}")
    finally:
        if embedded:
            embedded.stop()


async def _database(settings: Settings) -> Check:
    from oppscout.core.db.database import Database

    database = Database(settings.resolved_database_url)
    try:
        await database.migrate()
        await database.ping()
        return Check("database", "ok", f"{database.engine.dialect.name} reachable, schema up to date")
    except Exception as error:  # noqa: BLE001 - reported to the user
        return Check("database", "down", f"{type(error).__name__}: {error}")
    finally:
        await database.close()


def _source(settings: Settings) -> Check:
    if settings.source == "demo":
        from oppscout.jobs.sources.demo import DemoSource

        demo = DemoSource()
        return Check("source", "ok", f"demo data set: {len(demo.subreddits)} subreddits")
    return Check("source", "down", f"unknown source '{settings.source}'")


def _llm(settings: Settings) -> Check:
    if not settings.openai_base_url:
        return Check("llm", "off", "no OPPSCOUT_OPENAI_BASE_URL: the local engine does the whole analysis")
    return Check("llm", "ok", f"{settings.openai_model} at {settings.openai_base_url}")


def _transcriber(settings: Settings) -> Check:
    if not settings.voice_enabled:
        return Check("transcriber", "off", "voice notes turned off (OPPSCOUT_VOICE_ENABLED=false)")
    if importlib.util.find_spec("faster_whisper") is None:
        return Check("transcriber", "off", "faster-whisper not installed: voice notes are turned off")
    from oppscout.voice.transcriber import load_model, model_location

    try:
        # Loading for real is the check: a missing or corrupt model only shows when it is read.
        load_model(settings)
    except Exception as error:  # noqa: BLE001 - doctor reports every failure rather than crashing
        return Check("transcriber", "down", f"{settings.whisper_model}: {type(error).__name__}: {error}")
    return Check(
        "transcriber",
        "ok",
        f"faster-whisper {settings.whisper_model} ({settings.whisper_compute_type}, CPU) from {model_location(settings.whisper_model)}",
    )


async def run_checks(settings: Settings) -> list[Check]:
    """Every check, in a stable order."""
    return [
        await _redis(settings),
        await _database(settings),
        _source(settings),
        _llm(settings),
        _transcriber(settings),
    ]
