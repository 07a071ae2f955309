"""Wiring for the entry points: settings → database, Redis (embedded or configured), queue, service.

Only the CLI commands use this module; everything else receives its parts ready-made.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool

from oppscout.core.conversation.interpreter import RequestInterpreter
from oppscout.core.db.database import Database
from oppscout.core.delivery import ConversationNotifier, DirectMessenger, FanoutNotifier, ThreadNotifier
from oppscout.core.health import Component, ReportStore
from oppscout.core.ports import AnalysisEngine, Notifier, PostSource, Transcriber
from oppscout.core.service import AnalysisService
from oppscout.core.settings import Settings
from oppscout.jobs.event_bus import RedisEventPublisher
from oppscout.jobs.queue import AnalysisQueue
from oppscout.jobs.redis_server import EmbeddedRedis

if TYPE_CHECKING:
    from oppscout.core.conversation.chat import ChatService

log = logging.getLogger(__name__)
T = TypeVar("T")


def connect_redis(url: str, queue_name: str) -> ArqRedis:
    """An arq Redis client for ``url``; connecting happens on first use, so a down Redis is not fatal here."""
    pool = ConnectionPool.from_url(url, socket_connect_timeout=2, socket_timeout=10)
    return ArqRedis(pool, default_queue_name=queue_name)


@dataclass
class Runtime:
    """The shared parts of one process."""

    settings: Settings
    database: Database
    redis: ArqRedis
    redis_url: str
    queue: AnalysisQueue
    publisher: RedisEventPublisher
    service: AnalysisService
    embedded: EmbeddedRedis | None = field(default=None)

    @classmethod
    async def open(cls, settings: Settings) -> Runtime:
        """Migrate the database and connect to Redis, starting the embedded one when none is configured."""
        embedded = None
        url = settings.redis_url
        if not url:
            embedded = EmbeddedRedis(settings.data_dir)
            url = embedded.start()
        try:
            database = Database(settings.resolved_database_url)
            await database.migrate()
        except BaseException:
            # A database that cannot be opened (or a signal meanwhile) must not leave our Redis running.
            if embedded is not None:
                embedded.stop()
            raise
        redis = connect_redis(url, settings.queue_name)
        queue = AnalysisQueue(redis, settings.queue_name)
        publisher = RedisEventPublisher(redis)
        # A queued analysis is cancelled by the process that was asked (bot, web): its thread is told from
        # here, as a worker tells it about a running one, so the progress message never stays "queued".
        platforms = build_thread_notifiers(settings)
        notifier: Notifier = publisher
        if platforms:
            notifier = FanoutNotifier([publisher, ConversationNotifier(database, platforms)])
        service = AnalysisService(database, queue, notifier, settings=settings)
        return cls(settings, database, redis, url, queue, publisher, service, embedded)

    async def close(self) -> None:
        """Close connections and stop the embedded Redis if this process started it (whatever fails first)."""
        try:
            await self.redis.aclose()
            await self.database.close()
        finally:
            if self.embedded is not None:
                self.embedded.stop()


def run_until_stopped(main: Coroutine[Any, Any, T]) -> T | None:
    """``asyncio.run(main)``, with SIGTERM stopping it as Ctrl-C does: the main task is cancelled, so every
    ``finally`` runs (connections closed, the embedded Redis stopped). None when SIGTERM stopped it.

    Without this, SIGTERM ends Python at once: ``oppscout bot`` left its embedded redis-server running
    and ``redis.url`` behind.
    """

    async def guarded() -> T:
        task = asyncio.current_task()
        assert task is not None  # inside asyncio.run
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await main

    try:
        return asyncio.run(guarded())
    except asyncio.CancelledError:
        log.info("stopped by SIGTERM")
        return None


def build_source(settings: Settings, *, health_store: ReportStore | None = None) -> PostSource:
    """The post source named in settings; with ``health_store`` (a worker's Redis), Reddit's state as the
    source sees it is published for the health endpoint."""
    from oppscout.jobs.sources.demo import DemoSource

    if settings.source == "demo":
        return DemoSource(item_delay=settings.demo_item_delay_seconds)
    if settings.source == "reddit":
        from oppscout.jobs.health_reporter import ComponentReporter
        from oppscout.jobs.sources.reddit import RedditSource

        reporter = ComponentReporter(health_store, Component.REDDIT_API) if health_store is not None else None
        return RedditSource(settings, reporter=reporter)
    if settings.source == "dump":
        from oppscout.jobs.sources.dump import DumpSource

        return DumpSource(Database(settings.resolved_database_url), owns_database=True)
    raise ValueError(f"Unknown source '{settings.source}'; use 'demo', 'reddit' or 'dump'.")


def build_thread_notifiers(settings: Settings) -> dict[str, ThreadNotifier]:
    """The chat platforms this process can post to, by platform name (configured ones only)."""
    notifiers: dict[str, ThreadNotifier] = {}
    if settings.slack_bot_token is not None or (settings.slack_client_id and settings.slack_client_secret):
        from oppscout.bot.slack.app import build_slack_notifier

        notifiers["slack"] = build_slack_notifier(settings)
    if settings.discord_token is not None:
        from oppscout.bot.discord.notifier import DiscordThreadNotifier

        notifiers["discord"] = DiscordThreadNotifier(settings)
    return notifiers


def build_direct_messengers(settings: Settings) -> dict[str, DirectMessenger]:
    """Who can deliver DMs and emails from the outbox, by channel name: the console always, the rest when configured."""
    from oppscout.core.outbox import ConsoleMessenger

    messengers: dict[str, DirectMessenger] = {"console": ConsoleMessenger()}
    if settings.slack_bot_token is not None or (settings.slack_client_id and settings.slack_client_secret):
        from oppscout.bot.slack.direct import SlackDirectMessenger

        messengers["slack"] = SlackDirectMessenger(settings)
    if settings.discord_token is not None:
        from oppscout.bot.discord.direct import DiscordDirectMessenger

        messengers["discord"] = DiscordDirectMessenger(settings)
    if settings.smtp_host:
        from oppscout.core.outbox_email import SmtpMessenger

        messengers["email"] = SmtpMessenger(settings)
    return messengers


def build_transcriber(settings: Settings) -> Transcriber | None:
    """The voice-note transcriber, or None when voice is turned off or faster-whisper is not installed."""
    import importlib.util

    if not settings.voice_enabled or importlib.util.find_spec("faster_whisper") is None:
        return None
    from oppscout.voice.transcriber import WhisperTranscriber

    return WhisperTranscriber(settings)


def build_interpreter(settings: Settings) -> RequestInterpreter | None:
    """The LLM fallback for messages the deterministic parser cannot fully read; None without an LLM."""
    if not settings.openai_base_url:
        return None
    from oppscout.core.costs import PriceTable
    from oppscout.jobs.llm.client import chat_model

    prices = PriceTable.from_settings(settings)
    if not prices.prices_model(settings.openai_model):
        # The engine's start-up line already says why; reading messages just stays deterministic.
        return None
    return RequestInterpreter(chat_model(settings), prices)


def build_engine(settings: Settings, *, health_store: ReportStore | None = None) -> AnalysisEngine:
    """The analysis engine: LLM synthesis over the local engine when an endpoint is configured, else local.
    With ``health_store`` (a worker's Redis), the LLM's state as the engine sees it is published."""
    from oppscout.core.analysis.engine import LocalEngine

    if not settings.openai_base_url:
        return LocalEngine()
    from oppscout.core.analysis.synthesis import SynthesisEngine
    from oppscout.core.costs import PriceTable, unpriced_note
    from oppscout.jobs.health_reporter import ComponentReporter
    from oppscout.jobs.llm.client import OpenAIEmbeddings, chat_model, openai_client

    client = openai_client(settings)
    prices = PriceTable.from_settings(settings)
    if not prices.prices_model(settings.openai_model):
        # A configuration state, not a crash: each analysis keeps the local write-up and says why in one line.
        log.warning("%s", unpriced_note(settings.openai_model))
    embedder = OpenAIEmbeddings(client, settings.openai_embedding_model) if settings.openai_embedding_model else None
    reporter = ComponentReporter(health_store, Component.LLM) if health_store is not None else None
    chat = chat_model(settings, client, reporter=reporter)
    return SynthesisEngine(
        chat,
        prices,
        max_themes=settings.llm_max_themes,
        max_output_tokens=settings.llm_max_output_tokens,
        max_attempts=settings.llm_max_attempts,
        local=LocalEngine(embedder, prices),
    )


def build_chat(runtime: Runtime, *, voice: bool = True, confirm_always: bool = False) -> ChatService:
    """The chat service every interface talks to, with watches, spend caps, the LLM reader and voice."""
    from oppscout.core.conversation.chat import ChatService
    from oppscout.core.conversation.dialog import Dialog
    from oppscout.core.spend import SpendGovernor
    from oppscout.core.subreddit_names import SubredditResolver
    from oppscout.core.watches.service import WatchService
    from oppscout.jobs.sources.demo import DemoSource

    settings = runtime.settings
    # The demo data set can count a request's posts exactly; Reddit's volume is estimated.
    demo = DemoSource() if settings.source == "demo" else None
    volume = demo.volume if demo is not None else None
    resolver: SubredditResolver | None = None
    watch_resolver: SubredditResolver | None = None
    if demo is not None:
        watch_resolver = demo
    elif settings.source == "dump":
        from oppscout.jobs.sources.dump import DumpSource

        watch_resolver = DumpSource(runtime.database)
    elif settings.source == "reddit":
        from oppscout.jobs.sources.reddit import RedditSource

        # Named subreddits are checked with Reddit before anything runs (misspellings confirmed, not replaced).
        resolver = RedditSource(settings)
    return ChatService(
        runtime.database,
        runtime.service,
        Dialog(settings, confirm_always=confirm_always, volume=volume),
        build_transcriber(settings) if voice else None,
        interpreter=build_interpreter(settings),
        watches=WatchService(runtime.database, settings),
        spend=SpendGovernor(runtime.database, settings),
        resolver=resolver,
        watch_resolver=watch_resolver,
    )
