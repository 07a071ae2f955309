"""``oppscout chat`` and ``oppscout demo``: the console as a chat thread.

Messages go through the same ChatService as Slack and Discord; progress arrives as events over
Redis pub/sub from the worker, and one progress line is redrawn in place.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import threading
import uuid
from collections.abc import Iterable

from redis.exceptions import RedisError
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from oppscout.bot.render.text import CANCELLED_NOTE, cost_line, coverage_line, print_summary, progress_line, queue_line
from oppscout.core.contract import AnalysisStatus, OpportunityResults
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.errors import AppError
from oppscout.core.events import (
    AnalysisEvent,
    CancelledEvent,
    CompletedEvent,
    CostEvent,
    FailedEvent,
    NoticeEvent,
    ProgressEvent,
    StageEvent,
)
from oppscout.jobs.event_bus import EventSubscription
from oppscout.runtime import Runtime, build_chat

FINAL = (CompletedEvent, FailedEvent, CancelledEvent)
QUEUE_POLL_SECONDS = 1.0
# While Redis is away, how long to wait before asking it for events again.
REDIS_RETRY_SECONDS = 1.0
log = logging.getLogger(__name__)


class ConsoleChat:
    """One console conversation."""

    def __init__(self, runtime: Runtime, console: Console, *, confirm_always: bool = True) -> None:
        self.runtime = runtime
        self.console = console
        # The console takes no voice notes; it confirms every request, since typing "yes" costs nothing here.
        self.chat = build_chat(runtime, voice=False, confirm_always=confirm_always)
        self.thread = ThreadRef("console", "local", "console", uuid.uuid4().hex[:12], getpass.getuser())
        self._live = console.is_terminal
        self._line_open = False
        # Notes already said as they happened, so the summary does not say them a second time.
        self._noticed: set[str] = set()
        self._events_paused = False

    def bot(self, text: str) -> None:
        """Print a bot message."""
        self._close_line()
        self.console.print(f"[bold cyan]scout[/bold cyan] › {escape(text)}")

    def _progress(self, text: str) -> None:
        if self._live:
            self.console.file.write("\r\x1b[2K  ⏳ " + text)
            self.console.file.flush()
            self._line_open = True
        else:
            self.console.print(f"  ⏳ {escape(text)}")

    def _close_line(self) -> None:
        if self._line_open:
            self.console.file.write("\n")
            self._line_open = False

    async def say(self, text: str, subscription: EventSubscription) -> None:
        """Handle one user message and, when it starts an analysis, follow it to the end."""
        outcome = await self.chat.handle(self.thread, text)
        for message in outcome.messages:
            self.bot(message)
        if outcome.submission and outcome.submission.analysis_id and not outcome.submission.duplicate:
            await self.follow(outcome.submission.analysis_id, subscription)

    async def follow(self, analysis_id: str, subscription: EventSubscription) -> AnalysisStatus:
        """Render the events of one analysis until it ends; returns its final status."""
        started = False
        loop = asyncio.get_running_loop()
        next_poll = 0.0
        while True:
            event = await self._next_event(subscription)
            if event is not None and event.analysis_id == analysis_id:
                started = started or not isinstance(event, NoticeEvent)
                self.render(event)
                if isinstance(event, FINAL):
                    return (await self.runtime.service.get(analysis_id)).status
                continue
            if loop.time() < next_poll:
                continue
            next_poll = loop.time() + QUEUE_POLL_SECONDS
            # Polling covers what pub/sub cannot: the place in line, and an analysis that ended
            # while no event reached us.
            response = await self.runtime.service.get(analysis_id)
            if response.status.is_final:
                self._close_line()
                if response.status == AnalysisStatus.COMPLETED and response.results:
                    self._summary(response.results, None)
                return response.status
            if not started and response.status == AnalysisStatus.QUEUED:
                try:
                    q = await self.runtime.service.queue_status(analysis_id)
                    self._progress(queue_line(q.position, q.estimated_wait))
                except AppError as error:
                    self._progress(error.message)

    async def _next_event(self, subscription: EventSubscription) -> AnalysisEvent | None:
        """The next live event, or None; while Redis is away, None (the database is polled meanwhile)."""
        try:
            event = await subscription.next_event(timeout=0.2)
        except (RedisError, OSError) as error:
            if not self._events_paused:
                log.warning("live updates paused, Redis is unreachable (%s); following the analysis by polling", error)
                self._events_paused = True
            await asyncio.sleep(REDIS_RETRY_SECONDS)
            return None
        if self._events_paused:
            log.info("live updates are back")
            self._events_paused = False
        return event

    def render(self, event: AnalysisEvent) -> None:
        """Show one event."""
        if isinstance(event, StageEvent):
            self._progress(f"{event.stage.label}…")
        elif isinstance(event, ProgressEvent):
            self._progress(progress_line(event.progress))
        elif isinstance(event, CostEvent) and event.warning:
            self.bot(f"💸 {event.warning}")
        elif isinstance(event, NoticeEvent):
            self._noticed.add(event.message)
            self.bot(f"ℹ {event.message}")
        elif isinstance(event, CompletedEvent):
            self._close_line()
            self._summary(event.results, event.report_path)
            self.bot(f"Cost: {cost_line(event.cost)}")
        elif isinstance(event, FailedEvent):
            self.bot(f"✖ {event.message}")
        elif isinstance(event, CancelledEvent):
            self.bot(CANCELLED_NOTE)

    def _summary(self, results: OpportunityResults, report_path: str | None) -> None:
        for note in results.notes:
            if note not in self._noticed:
                self.bot(note)
        if not results.opportunities:
            self.bot("No clear opportunities in that window. Try a longer window or fewer keywords.")
        else:
            print_summary(self.console, results)
        self.bot(coverage_line(results))
        if report_path:
            self.bot("Full report:")
            # Like a link, the path stays whole on its own line so it can be copied.
            self.console.print(Text(report_path), soft_wrap=True, overflow="ignore", crop=False)


async def play(runtime: Runtime, console: Console, script: Iterable[str]) -> None:
    """Play a scripted conversation (the demo), echoing each message as if typed."""
    chat = ConsoleChat(runtime, console)
    async with EventSubscription(runtime.redis, wait_for_redis=True) as subscription:
        for line in script:
            console.print(f"[bold green]you[/bold green] › {escape(line)}")
            await chat.say(line, subscription)


async def _read_line(console: Console, prompt: str) -> str:
    """One line from the keyboard, read in a daemon thread.

    Not ``asyncio.to_thread``: on SIGTERM the chat is cancelled while that thread still waits for a
    line, and ``asyncio.run`` would wait for it (for ever) before the process could exit.
    """
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()

    def read() -> None:
        try:
            line = console.input(prompt)
        except BaseException as error:  # noqa: BLE001 - EOF and Ctrl-C are handed to the chat loop
            loop.call_soon_threadsafe(_settle, answer, None, error)
        else:
            loop.call_soon_threadsafe(_settle, answer, line, None)

    threading.Thread(target=read, name="console input", daemon=True).start()
    return await answer


def _settle(answer: asyncio.Future[str], line: str | None, error: BaseException | None) -> None:
    if answer.done():  # the chat stopped waiting (cancelled)
        return
    if error is not None:
        answer.set_exception(error)
    else:
        answer.set_result(line or "")


async def repl(runtime: Runtime, console: Console) -> None:
    """Read messages from the keyboard until EOF or 'quit'."""
    chat = ConsoleChat(runtime, console)
    chat.bot("Hi! Ask me what people struggle with in some subreddits. Type 'help' for examples, 'quit' to leave.")
    async with EventSubscription(runtime.redis, wait_for_redis=True) as subscription:
        while True:
            try:
                line = await _read_line(console, "[bold green]you[/bold green] › ")
            except (EOFError, KeyboardInterrupt):
                break
            if line.strip().lower() in ("quit", "exit", ":q"):
                break
            if line.strip():
                await chat.say(line, subscription)
