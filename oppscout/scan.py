"""``oppscout scan``: one analysis from the command line, for scripts and cron.

It submits through the same service as every interface (validation, budget cap, spend caps), shows
progress on standard error (a bar on a terminal, plain lines otherwise), waits, and prints the
results on standard output: a table, ``--json`` (the contract's AnalysisResponse) or ``--markdown``
(the report). When no worker is alive on the queue it runs one in this process, so the command works
on a laptop with the embedded Redis as well as beside a fleet of workers.

Exit codes: 0 completed; 1 failed; 2 refused (invalid request, budget over the cap); 3 cancelled;
4 not done within ``--timeout``; 130 interrupted (the analysis is cancelled).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, TextIO

from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from oppscout.core.contract import AnalysisRequest, AnalysisResponse, AnalysisStatus, utcnow
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
from oppscout.core.settings import Settings

if TYPE_CHECKING:
    from oppscout.jobs.event_bus import EventSubscription
    from oppscout.runtime import Runtime

EXIT_COMPLETED, EXIT_FAILED, EXIT_REFUSED, EXIT_CANCELLED, EXIT_TIMEOUT, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
# The database is read this often as well, so a missed pub/sub message never leaves the command waiting.
POLL_SECONDS = 2.0
WORKSPACE = "cli"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``scan`` on the ``oppscout`` command."""
    scan = sub.add_parser(
        "scan",
        help="run one analysis and print its results (for scripts and cron)",
        description="Run one analysis through the service, show progress on stderr, print results on stdout.",
        epilog="exit codes: 0 completed, 1 failed, 2 refused, 3 cancelled, 4 timed out, 130 interrupted",
    )
    scan.add_argument("subreddits", nargs="+", help="subreddits to read, like r/freelance r/smallbusiness")
    scan.add_argument("--about", action="append", default=[], help="a topic or phrase to look for (repeatable)")
    scan.add_argument("--days", type=float, default=30, help="how many days back to read (default 30)")
    scan.add_argument("--budget", default="0", help="the most to spend in USD (default 0: local engine only)")
    output = scan.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the analysis as the API's JSON")
    output.add_argument("--markdown", action="store_true", help="print the Markdown report")
    scan.add_argument("--timeout", type=float, default=3600, help="give up after this many seconds (default 3600)")
    scan.set_defaults(fn=cmd_scan)


def build_request(args: argparse.Namespace, settings: Settings) -> AnalysisRequest:
    """The request the arguments describe, validated as the API validates it (cap included)."""
    try:
        budget = Decimal(str(args.budget).lstrip("$"))
    except InvalidOperation:
        raise AppError(f"--budget must be an amount in USD, like 1 or 0.50; got '{args.budget}'.") from None
    if not 0 < args.days <= 365:
        raise AppError(f"--days must be more than 0 and at most 365; got {args.days:g}.")
    now = utcnow()
    body = {
        "subreddits": args.subreddits,
        "timeRange": {"start": (now - timedelta(days=args.days)).isoformat(), "end": now.isoformat()},
        "keywords": args.about or None,
        "maxCost": str(budget),
    }
    try:
        return AnalysisRequest.model_validate(body, context={"max_cost_cap": settings.max_cost_cap_usd, "now": now})
    except ValidationError as error:
        first = error.errors()[0]
        raise AppError(str(first.get("msg", "invalid request")).removeprefix("Value error, ")) from None


class ProgressView:
    """Progress on standard error: a redrawn bar on a terminal, one line per change otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.console = Console(file=stream, stderr=True)
        self.live = self.console.is_terminal
        self._last_line = ""
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        if self.live:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self._task = self._bar.add_task("queued", total=100)
            self._bar.start()

    def update(self, percent: int, text: str) -> None:
        """Show where the analysis is."""
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=percent, description=text)
            return
        line = f"[{percent:>3}%] {text}"
        if line != self._last_line:
            self.console.print(line, markup=False, highlight=False)
            self._last_line = line

    def say(self, text: str) -> None:
        """A line of news (a notice, a cost warning) above the bar."""
        self.console.print(text, markup=False, highlight=False)

    def close(self) -> None:
        """Take the bar off the terminal."""
        if self._bar is not None:
            self._bar.stop()


async def _wait(
    runtime: Runtime, analysis_id: str, subscription: EventSubscription, view: ProgressView
) -> AnalysisStatus:
    percent = 0
    loop = asyncio.get_running_loop()
    next_poll = loop.time() + POLL_SECONDS
    while True:
        event: AnalysisEvent | None = await subscription.next_event(timeout=0.5)
        if event is not None and event.analysis_id == analysis_id:
            percent = _show(event, view, percent)
            if isinstance(event, CompletedEvent | FailedEvent | CancelledEvent):
                return (await runtime.service.get(analysis_id)).status
        if loop.time() >= next_poll:
            next_poll = loop.time() + POLL_SECONDS
            analysis = await runtime.service.get(analysis_id)
            if analysis.status.is_final:
                return analysis.status
            if analysis.status == AnalysisStatus.QUEUED:
                queue = await runtime.service.queue_status(analysis_id)
                if queue.position:
                    view.update(percent, f"queued, position {queue.position}, ~{queue.estimated_wait:.0f}s wait")


def _show(event: AnalysisEvent, view: ProgressView, percent: int) -> int:
    if isinstance(event, ProgressEvent):
        percent = max(percent, event.progress.percent)
        view.update(percent, event.progress.message or "working")
    elif isinstance(event, StageEvent):
        view.update(percent, event.stage.label)
    elif isinstance(event, NoticeEvent):
        view.say(event.message)
    elif isinstance(event, CostEvent) and event.warning:
        view.say(event.warning)
    elif isinstance(event, FailedEvent):
        view.say(event.message)
    return percent


def render(analysis: AnalysisResponse, *, as_json: bool, as_markdown: bool) -> str:
    """The results as the chosen output: the API's JSON, the Markdown report, or a terminal table."""
    if as_json:
        return json.dumps(analysis.model_dump(mode="json", exclude_none=True), indent=2)
    from oppscout.core.contract import OpportunityResults
    from oppscout.core.report import render_markdown

    results = analysis.results or OpportunityResults()
    request = AnalysisRequest.model_validate(
        {
            "subreddits": analysis.metadata.subreddits,
            "timeRange": {"start": analysis.metadata.window_start, "end": analysis.metadata.window_end},
            "keywords": analysis.metadata.keywords or None,
            "maxCost": analysis.cost_breakdown.budget,
        },
        context={"now": analysis.metadata.window_end},
    )
    if as_markdown:
        return render_markdown(analysis.analysis_id, request, results, analysis.cost_breakdown)
    from oppscout.bot.render.text import cost_line, coverage_line, print_summary

    buffer = io.StringIO()
    console = Console(file=buffer, width=120, color_system=None)
    print_summary(console, results)
    console.print(coverage_line(results), markup=False)
    console.print(f"Spent {cost_line(analysis.cost_breakdown)}", markup=False)
    return buffer.getvalue().rstrip("\n")


async def run_scan(settings: Settings, request: AnalysisRequest, args: argparse.Namespace) -> int:
    """Submit, follow and print one analysis; returns the exit code."""
    from oppscout.jobs.event_bus import EventSubscription
    from oppscout.runtime import Runtime

    runtime = await Runtime.open(settings)
    view = ProgressView(sys.stderr)
    worker_stop: Callable[[], Awaitable[None]] | None = None
    analysis_id = ""
    try:
        _, workers = await runtime.queue.workers()
        if workers == 0:
            worker_stop = _start_worker(runtime, settings)
        async with EventSubscription(runtime.redis) as subscription:
            submission = await runtime.service.submit(request, workspace_id=WORKSPACE)
            analysis_id = submission.analysis_id
            if submission.message:
                view.say(submission.message)
            try:
                status = await asyncio.wait_for(_wait(runtime, analysis_id, subscription, view), args.timeout)
            except TimeoutError:
                view.close()
                print(f"oppscout scan: analysis {analysis_id} not done after {args.timeout:g} s.", file=sys.stderr)
                return EXIT_TIMEOUT
        view.close()
        analysis = await runtime.service.get(analysis_id)
        if status == AnalysisStatus.COMPLETED:
            print(render(analysis, as_json=args.json, as_markdown=args.markdown))
            return EXIT_COMPLETED
        if args.json:
            print(render(analysis, as_json=True, as_markdown=False))
        if status == AnalysisStatus.CANCELLED:
            print(f"oppscout scan: analysis {analysis_id} was cancelled.", file=sys.stderr)
            return EXIT_CANCELLED
        reason = analysis.metadata.error or "it failed"
        print(f"oppscout scan: analysis {analysis_id} failed: {reason}", file=sys.stderr)
        return EXIT_FAILED
    except asyncio.CancelledError:
        view.close()
        if analysis_id:
            with contextlib.suppress(Exception):
                await runtime.service.cancel(analysis_id)
        raise
    finally:
        view.close()
        if worker_stop is not None:
            await worker_stop()
        await runtime.close()


def _start_worker(runtime: Runtime, settings: Settings) -> Callable[[], Awaitable[None]]:
    """Run a worker in this process (no live one serves the queue); returns the coroutine function that stops it."""
    from oppscout.jobs.worker import build_worker, stop_worker
    from oppscout.runtime import build_engine, build_source

    worker = build_worker(
        runtime,
        source=build_source(settings, health_store=runtime.redis),
        engine=build_engine(settings, health_store=runtime.redis),
        handle_signals=False,
    )
    task = asyncio.create_task(worker.async_run())

    async def stop() -> None:
        await stop_worker(worker, task)

    return stop


def cmd_scan(settings: Settings, args: argparse.Namespace) -> int:
    """``oppscout scan``: the exit code of one analysis."""
    from oppscout.logs import configure

    configure(settings.log_level, settings.log_format, quiet=True)
    try:
        request = build_request(args, settings)
    except AppError as error:
        print(f"oppscout scan: {error.message}", file=sys.stderr)
        return EXIT_REFUSED
    try:
        return asyncio.run(run_scan(settings, request, args))
    except AppError as error:
        print(f"oppscout scan: {error.message}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print("oppscout scan: interrupted; the analysis was cancelled.", file=sys.stderr)
        return EXIT_INTERRUPTED
