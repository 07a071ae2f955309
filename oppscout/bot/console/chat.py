"""``oppscout chat`` and ``oppscout demo``: the console as a chat thread.

Messages go through the same ChatService as Slack and Discord; progress arrives as events over
Redis pub/sub from the worker, and one progress line is redrawn in place.
"""

from __future__ import annotations

import asyncio
import getpass
import uuid
from collections.abc import Iterable

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
            event = await subscription.next_event(timeout=0.2)
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
    async with EventSubscription(runtime.redis) as subscription:
        for line in script:
            console.print(f"[bold green]you[/bold green] › {escape(line)}")
            await chat.say(line, subscription)


async def repl(runtime: Runtime, console: Console) -> None:
    """Read messages from the keyboard until EOF or 'quit'."""
    chat = ConsoleChat(runtime, console)
    chat.bot("Hi! Ask me what people struggle with in some subreddits. Type 'help' for examples, 'quit' to leave.")
    async with EventSubscription(runtime.redis) as subscription:
        while True:
            try:
                line = await asyncio.to_thread(console.input, "[bold green]you[/bold green] › ")
            except (EOFError, KeyboardInterrupt):
                break
            if line.strip().lower() in ("quit", "exit", ":q"):
                break
            if line.strip():
                await chat.say(line, subscription)
