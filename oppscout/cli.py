"""The ``oppscout`` command: the only place that wires concrete adapters together."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from rich.console import Console

from oppscout import scan
from oppscout.core.contract import utcnow
from oppscout.core.settings import Settings, get_settings

WORKER_STOP_GRACE_SECONDS = 10.0
# Lines of `oppscout signals` classified together (their sentence embeddings share a batch).
SIGNALS_BATCH = 64
DEMO_SCRIPT = (
    "what are people struggling with lately?",
    "r/smallbusiness, r/freelance, r/SaaS, r/Entrepreneur, r/startups and r/Accounting, last 30 days, budget $2",
    "yes",
)


def _logging(settings: Settings, *, quiet: bool = False, to_file: bool = False) -> None:
    from oppscout.logs import configure

    if to_file:
        # An interactive chat owns the terminal: log lines go to a file, never into the transcript.
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        stream = (settings.data_dir / "oppscout.log").open("a", encoding="utf-8")
        configure(settings.log_level, settings.log_format, stream=stream)
        return
    configure(settings.log_level, settings.log_format, quiet=quiet)


async def _with_worker(settings: Settings, body: Callable[..., Awaitable[None]]) -> None:
    """Open the runtime, run a worker in this process beside ``body``, then shut both down."""
    from oppscout.jobs.supervisor import supervise
    from oppscout.jobs.worker import build_worker
    from oppscout.runtime import Runtime, build_engine, build_source

    runtime = await Runtime.open(settings)
    try:
        worker = build_worker(
            runtime,
            source=build_source(settings, health_store=runtime.redis),
            engine=build_engine(settings, health_store=runtime.redis),
            handle_signals=False,
        )
        stopping = asyncio.Event()
        # The worker beside the chat rides out Redis outages too (the chat itself keeps answering).
        worker_task = asyncio.create_task(supervise(worker, stopping, grace=5.0))
        try:
            await body(runtime)
        finally:
            stopping.set()
            await worker_task
    finally:
        await runtime.close()


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Play one conversation end to end on the demo data set, without a keyboard."""
    from oppscout.bot.console.chat import play

    _logging(settings, to_file=True)
    console = Console()

    async def body(runtime: object) -> None:
        await play(runtime, console, DEMO_SCRIPT)  # type: ignore[arg-type]

    from oppscout.runtime import run_until_stopped

    run_until_stopped(_with_worker(settings, body))
    return 0


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    """A chat REPL in the terminal, with a worker in the same process."""
    from oppscout.bot.console.chat import repl

    _logging(settings, to_file=True)
    console = Console()

    async def body(runtime: object) -> None:
        await repl(runtime, console)  # type: ignore[arg-type]

    from oppscout.runtime import run_until_stopped

    run_until_stopped(_with_worker(settings, body))
    return 0


def cmd_bot(settings: Settings, args: argparse.Namespace) -> int:
    """Run the Slack and/or Discord bots that are configured."""
    from oppscout.bot.launcher import run_bots
    from oppscout.core.errors import AppError
    from oppscout.runtime import Runtime, build_chat, run_until_stopped
    from oppscout.voice.transcriber import WhisperTranscriber

    _logging(settings)

    async def run() -> None:
        runtime = await Runtime.open(settings)
        chat = build_chat(runtime)
        if settings.bot_metrics_port and isinstance(chat.transcriber, WhisperTranscriber):
            chat.transcriber.metrics.serve(settings.bot_metrics_port)
        try:
            await run_bots(runtime, chat)
        finally:
            await runtime.close()

    try:
        run_until_stopped(run())
    except AppError as error:
        print(error.message, file=sys.stderr)
        return 2
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Run a worker until SIGINT/SIGTERM (or until the queue is empty with --burst)."""
    from oppscout.jobs.supervisor import supervise
    from oppscout.jobs.worker import build_worker
    from oppscout.runtime import Runtime, build_engine, build_source

    _logging(settings)

    async def run() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        runtime = await Runtime.open(settings)
        try:
            worker = build_worker(
                runtime,
                # Reddit's and the LLM's state, as the stages see them, goes to /health through Redis.
                source=build_source(settings, health_store=runtime.redis),
                engine=build_engine(settings, health_store=runtime.redis),
                burst=args.burst,
                handle_signals=False,
            )
            if settings.worker_metrics_port:
                # Each worker serves its own figures: workers may run on several machines.
                worker.ctx["metrics"].serve(settings.worker_metrics_port)
            # Finish on a signal, or by itself in burst mode; a Redis outage is waited out. Running
            # stages get a grace period and anything cut short is run again (stages are idempotent).
            await supervise(worker, stopping, grace=WORKER_STOP_GRACE_SECONDS)
        finally:
            await runtime.close()

    asyncio.run(run())
    return 0


def cmd_doctor(settings: Settings, args: argparse.Namespace) -> int:
    """Check every configured part; exit 1 when one is down."""
    from oppscout.doctor import run_checks

    _logging(settings, quiet=True)
    results = asyncio.run(run_checks(settings))
    console = Console()
    marks = {
        "ok": "[green]✔ ok[/green]",
        "off": "[dim]– off[/dim]",
        "warn": "[yellow]! warn[/yellow]",
        "down": "[red]✖ down[/red]",
    }
    for check in results:
        console.print(f"{marks[check.state]}  {check.name:<12} {check.detail}")
    return 1 if any(c.state == "down" for c in results) else 0


def cmd_parse(settings: Settings, args: argparse.Namespace) -> int:
    """Print what the parser makes of a message, as JSON: ``{intent, request, missing, threshold, …}``."""
    from oppscout.core.conversation.parser import parse

    now = datetime.fromisoformat(args.now.replace("Z", "+00:00")) if args.now else utcnow()
    # allow_nan=False: the parser bounds every number, and a slip must fail here rather than print Infinity.
    print(json.dumps(parse(args.text, now).to_json(), indent=None if args.json else 2, allow_nan=False))
    return 0


def cmd_web(settings: Settings, args: argparse.Namespace) -> int:
    """Serve the REST API, Socket.IO, health and metrics (uvicorn, one process)."""
    from oppscout.bot.web.server import serve
    from oppscout.runtime import Runtime, build_chat

    _logging(settings)

    def slack_routes(runtime: Runtime) -> list[Any]:
        # The Slack Events endpoint mounts in the same app when Slack runs in HTTP mode.
        from oppscout.bot.slack.app import build_slack_app, starlette_routes
        from oppscout.bot.slack.workspaces import slack_configured

        if not slack_configured(settings) or settings.slack_mode != "http":
            return []
        return starlette_routes(build_slack_app(settings, runtime, build_chat(runtime)), settings)

    asyncio.run(serve(settings, host=args.host, port=args.port, extra_routes=slack_routes))
    return 0


def cmd_token(settings: Settings, args: argparse.Namespace) -> int:
    """Create, list or revoke web API tokens; a secret is printed once and only its hash is stored."""
    from oppscout.core.db.database import Database
    from oppscout.core.db.repositories.api_tokens import ApiTokenRepository

    async def run() -> int:
        database = Database(settings.resolved_database_url)
        try:
            await database.migrate()
            async with database.unit_of_work() as session:
                tokens = ApiTokenRepository(session)
                if args.token_command == "list":
                    for row in await tokens.list_active(args.workspace):
                        print(f"{row.id}  {row.workspace_id:<24} {row.created_at:%Y-%m-%d %H:%M}  {row.name}")
                    return 0
                if args.token_command == "create":
                    issued = await tokens.create(args.workspace, args.name)
                    print(f"token id:  {issued.token_id}\nworkspace: {issued.workspace_id}\ntoken:     {issued.secret}")
                    print("Keep the token now: it is stored hashed and cannot be shown again.", file=sys.stderr)
                    return 0
                if await tokens.revoke(args.token):
                    print("Revoked: requests with that token now get 401.")
                    return 0
                print("No active token has that id or value.", file=sys.stderr)
                return 1
        finally:
            await database.close()

    _logging(settings, quiet=True)
    return asyncio.run(run())


def cmd_signals(settings: Settings, args: argparse.Namespace) -> int:
    """Read JSON lines ``{id, title?, body}`` and write ``{id, pain, categories, score}`` per line."""
    from oppscout.core.analysis.detector import classify_many

    try:
        source = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    except OSError as error:
        print(f"cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    pending: list[tuple[object, str, str]] = []

    def flush() -> None:
        # Items are classified in batches: their embeddings are computed together, which is faster.
        verdicts = classify_many([(title, body) for _, title, body in pending])
        for (item_id, _, _), verdict in zip(pending, verdicts, strict=True):
            out = {"id": item_id, "pain": verdict.pain, "categories": verdict.categories, "score": verdict.score}
            print(json.dumps(out), flush=False)
        pending.clear()

    with source:
        for number, line in enumerate(source, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                item_id, body = raw["id"], raw.get("body") or ""
                title = raw.get("title") or ""
            except (ValueError, KeyError, TypeError, AttributeError):
                flush()
                print(f"line {number}: expected a JSON object with 'id' and 'body'", file=sys.stderr)
                return 2
            pending.append((item_id, str(title), str(body)))
            if len(pending) >= SIGNALS_BATCH:
                flush()
    flush()
    return 0


def cmd_transcribe(settings: Settings, args: argparse.Namespace) -> int:
    """Transcribe one audio file with the configured Whisper model and print ``{text, duration, language}``."""
    from pathlib import Path

    from oppscout.core.conversation.vocabulary import WorkspaceVocabulary
    from oppscout.core.errors import VoiceError
    from oppscout.voice.transcriber import WhisperTranscriber

    _logging(settings, quiet=True)
    path = Path(args.file)
    if not path.is_file():
        print(f"No such file: {path}", file=sys.stderr)
        return 2
    transcriber = WhisperTranscriber(settings, preload=False)
    try:
        transcript = transcriber.transcribe_sync(path.read_bytes(), args.hotword or WorkspaceVocabulary().hotwords())
    except VoiceError as error:
        print(error.message, file=sys.stderr)
        return 2
    finally:
        transcriber.close()
    out = {"text": transcript.text, "duration": transcript.duration, "language": transcript.language}
    print(json.dumps(out, indent=None if args.json else 2, ensure_ascii=False))
    return 0


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    """Import a Reddit data dump (NDJSON, one post or comment a line, optionally .zst) for the dump source."""
    from pathlib import Path

    from oppscout.core.db.database import Database
    from oppscout.core.errors import AppError
    from oppscout.jobs.sources.dump import import_dump

    _logging(settings, quiet=True)

    async def run() -> str:
        database = Database(settings.resolved_database_url)
        try:
            await database.migrate()
            return (await import_dump(database, Path(args.file))).summary()
        finally:
            await database.close()

    try:
        print(asyncio.run(run()))
    except AppError as error:
        print(error.message, file=sys.stderr)
        return 2
    if settings.source != "dump":
        print("Analyses read imported data with OPPSCOUT_SOURCE=dump.")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``oppscout`` command."""
    parser = argparse.ArgumentParser(prog="oppscout", description="Find product opportunities in Reddit talk.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="play a conversation end to end on the demo data").set_defaults(fn=cmd_demo)
    sub.add_parser("chat", help="chat with the bot in this terminal").set_defaults(fn=cmd_chat)
    sub.add_parser("bot", help="run the configured Slack and Discord bots").set_defaults(fn=cmd_bot)
    worker = sub.add_parser("worker", help="run an analysis worker")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    worker.set_defaults(fn=cmd_worker)
    sub.add_parser(
        "doctor", help="check Redis, the database, the source, the LLM, Slack, Discord, SMTP and the transcriber"
    ).set_defaults(fn=cmd_doctor)
    parse_cmd = sub.add_parser("parse", help="show what the parser understands in a message")
    parse_cmd.add_argument("text")
    parse_cmd.add_argument("--now", help="reference time, ISO-8601")
    parse_cmd.add_argument("--json", action="store_true", help="compact JSON on one line")
    parse_cmd.set_defaults(fn=cmd_parse)
    transcribe = sub.add_parser("transcribe", help="transcribe a voice note with the configured Whisper model")
    transcribe.add_argument("file", help="an audio file: OGG/Opus, M4A, MP3, WAV, FLAC…")
    transcribe.add_argument("--hotword", action="append", default=[], help="r/name or topic to listen for")
    transcribe.add_argument("--json", action="store_true", help="compact JSON on one line")
    transcribe.set_defaults(fn=cmd_transcribe)
    signals_cmd = sub.add_parser("signals", help="detect pain and opportunity signals in JSON lines")
    signals_cmd.add_argument("file", help="JSON lines {id, title?, body}; '-' reads standard input")
    signals_cmd.set_defaults(fn=cmd_signals)
    web = sub.add_parser("web", help="serve the REST API, Socket.IO updates, health and metrics")
    web.add_argument("--host", help="address to listen on (default: OPPSCOUT_WEB_HOST)")
    web.add_argument("--port", type=int, help="port to listen on (default: OPPSCOUT_WEB_PORT)")
    web.set_defaults(fn=cmd_web)
    import_cmd = sub.add_parser("import", help="import a Reddit data dump (NDJSON, optionally .zst)")
    import_cmd.add_argument("file", help="the dump file: one post or comment as JSON per line")
    import_cmd.set_defaults(fn=cmd_import)
    token = sub.add_parser("token", help="create, list or revoke web API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    token_create = token_sub.add_parser("create", help="issue a token for a workspace")
    token_create.add_argument("--workspace", required=True, help="the workspace the token may see")
    token_create.add_argument("--name", default="", help="a label, e.g. who holds it")
    token_list = token_sub.add_parser("list", help="show active tokens (ids, never secrets)")
    token_list.add_argument("--workspace", help="only this workspace's tokens")
    token_revoke = token_sub.add_parser("revoke", help="revoke a token by its id or value")
    token_revoke.add_argument("token", help="the token id (from create) or the token itself")
    token.set_defaults(fn=cmd_token)
    scan.add_parser(sub)
    args = parser.parse_args(argv)
    try:
        return int(args.fn(get_settings(), args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
