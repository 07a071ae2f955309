"""``oppscout doctor``: the health of every configured part, checked for real."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from oppscout.core.settings import Settings


@dataclass(frozen=True)
class Check:
    """One part's health: ok, off (not configured), warn (runs, but not as configured) or down."""

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


async def _source(settings: Settings) -> Check:
    if settings.source == "demo":
        from oppscout.jobs.sources.demo import DemoSource

        demo = DemoSource()
        return Check("source", "ok", f"demo data set: {len(demo.subreddits)} subreddits")
    if settings.source == "reddit":
        return await _reddit(settings)
    if settings.source == "dump":
        from oppscout.core.db.database import Database
        from oppscout.jobs.sources.dump import DumpSource

        dump = DumpSource(Database(settings.resolved_database_url), owns_database=True)
        try:
            await dump.database.migrate()
            subreddits = await dump.subreddits()
        except Exception as error:  # noqa: BLE001 - reported to the user
            return Check("source", "down", f"dump: {type(error).__name__}: {error}")
        finally:
            await dump.close()
        if not subreddits:
            return Check("source", "down", "dump source but nothing imported: run `oppscout import FILE`")
        return Check("source", "ok", f"imported dumps: {len(subreddits)} subreddits")
    return Check("source", "down", f"unknown source '{settings.source}'; use demo, reddit or dump")


async def _reddit(settings: Settings) -> Check:
    import asyncio

    from oppscout.jobs.sources.reddit_api import build_reddit

    try:
        reddit = build_reddit(settings)
        # One real, cheap call: a token and a one-name /api/info, off the event loop like every praw call.
        await asyncio.to_thread(reddit.request, method="GET", path="api/info/", params={"sr_name": "announcements"})
    except Exception as error:  # noqa: BLE001 - doctor reports every failure rather than crashing
        message = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
        return Check("source", "down", f"reddit at {settings.reddit_oauth_url}: {message}")
    remaining = reddit._core._rate_limiter.remaining if reddit._core is not None else None
    left = f", {remaining} requests left in this rate-limit window" if remaining is not None else ""
    return Check(
        "source", "ok", f"reddit at {settings.reddit_oauth_url} answers as '{settings.reddit_user_agent}'{left}"
    )


async def _llm(settings: Settings) -> Check:
    if not settings.openai_base_url:
        return Check("llm", "off", "no OPPSCOUT_OPENAI_BASE_URL: the local engine does the whole analysis")
    import openai

    from oppscout.core.costs import PriceTable, unpriced_note
    from oppscout.jobs.llm.client import openai_client

    client = openai_client(settings)
    try:
        # Listing models costs nothing and proves the address, the key and the API shape at once.
        models = [model.id async for model in client.models.list()]
    except openai.OpenAIError as error:
        return Check("llm", "down", f"{settings.openai_base_url}: {type(error).__name__}: {error}")
    finally:
        await client.close()
    listed = "listed" if settings.openai_model in models else f"not among the {len(models)} models listed"
    answers = f"{settings.openai_model} at {settings.openai_base_url} answers ({listed})"
    prices = PriceTable.from_settings(settings)
    if not prices.prices_model(settings.openai_model):
        return Check("llm", "warn", f"{answers}, but it is not called: {unpriced_note(settings.openai_model)}")
    priced = "declared free" if prices.llm_free else "priced"
    return Check("llm", "ok", f"{answers}, {priced}")


async def _slack(settings: Settings) -> Check:
    if settings.slack_bot_token is None:
        return Check("slack", "off", "no OPPSCOUT_SLACK_BOT_TOKEN")
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_base_url, timeout=10
    )
    try:
        answer = await client.auth_test()
    except SlackApiError as error:
        return Check("slack", "down", f"auth.test refused the bot token: {error.response.get('error')}")
    except Exception as error:  # noqa: BLE001 - doctor reports every failure rather than crashing
        return Check("slack", "down", f"{settings.slack_api_base_url}: {type(error).__name__}: {error}")
    return Check("slack", "ok", f"signed in as {answer.get('user')} in team {answer.get('team_id')}")


async def _discord(settings: Settings) -> Check:
    if settings.discord_token is None:
        return Check("discord", "off", "no OPPSCOUT_DISCORD_TOKEN")
    import httpx

    url = settings.discord_api_base_url.rstrip("/") + "/users/@me"
    headers = {"Authorization": f"Bot {settings.discord_token.get_secret_value()}"}
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(url, headers=headers)
    except httpx.HTTPError as error:
        return Check("discord", "down", f"{url}: {type(error).__name__}: {error}")
    if response.status_code != 200:
        return Check("discord", "down", f"GET /users/@me answered {response.status_code}: the bot token is refused")
    return Check("discord", "ok", f"signed in as {response.json().get('username')}")


def _smtp_session(settings: Settings) -> str:
    import smtplib
    import ssl

    assert settings.smtp_host is not None
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds) as smtp:
        smtp.ehlo()
        if settings.smtp_starttls and smtp.has_extn("starttls"):
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.smtp_username and settings.smtp_password:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        code, _ = smtp.noop()
        return f"{settings.smtp_host}:{settings.smtp_port} answers ({code})"


async def _smtp(settings: Settings) -> Check:
    if not settings.smtp_host:
        return Check("smtp", "off", "no OPPSCOUT_SMTP_HOST: alerts are not emailed")
    import asyncio

    try:
        return Check("smtp", "ok", await asyncio.to_thread(_smtp_session, settings))
    except Exception as error:  # noqa: BLE001 - doctor reports every failure rather than crashing
        return Check("smtp", "down", f"{settings.smtp_host}:{settings.smtp_port}: {type(error).__name__}: {error}")


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
        await _source(settings),
        await _llm(settings),
        await _slack(settings),
        await _discord(settings),
        await _smtp(settings),
        _transcriber(settings),
    ]
