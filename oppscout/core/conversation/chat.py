"""The chat service: one call per incoming message, shared by every platform adapter."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from oppscout.core.contract import AnalysisResponse, AnalysisStatus
from oppscout.core.conversation.alert_words import BOTH, EMAIL
from oppscout.core.conversation.commands import Cancel, Confirm, EditDraft, StartAnalysis
from oppscout.core.conversation.dialog import CreateWatch, Dialog, Reply, RunAnalysis, SimpleAction
from oppscout.core.conversation.interpreter import Interpretation, RequestInterpreter, needs_llm
from oppscout.core.conversation.parser import Intent, ParsedMessage
from oppscout.core.conversation.state import DialogState
from oppscout.core.conversation.subreddit_names import FuzzyName
from oppscout.core.conversation.vocabulary import load_vocabulary
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.chat_reads import ChatReadRepository
from oppscout.core.db.repositories.conversations import ConversationRepository, ThreadRef
from oppscout.core.db.repositories.outbox import OutboxRepository
from oppscout.core.db.repositories.thread_lookup import ThreadLookup
from oppscout.core.errors import AppError, TranscriberUnavailableError, VoiceError
from oppscout.core.ports import Transcriber
from oppscout.core.service import AnalysisService, Submission
from oppscout.core.spend import SpendGovernor
from oppscout.core.subreddit_names import SubredditResolver, SubredditState
from oppscout.core.watches.commands import WatchCommands, match_watch_command
from oppscout.core.watches.models import WatchSpec
from oppscout.core.watches.service import WatchService
from oppscout.core.wording import plural, usd

log = logging.getLogger(__name__)


@dataclass
class ChatOutcome:
    """What to say in the thread, and the analysis started or reported on, if any."""

    messages: list[str] = field(default_factory=list)
    submission: Submission | None = None
    status: AnalysisResponse | None = None
    heard: str | None = None
    """What a voice note was transcribed as (None for typed messages)."""
    parsed: ParsedMessage | None = None
    """What the parser made of the message, for adapters that show it (None when it was a yes/no)."""
    parse_cost: Decimal = Decimal("0")
    """What reading this message with the LLM cost (0 without an LLM or when it was not needed)."""


def describe_status(response: AnalysisResponse) -> str:
    """A one-line status of an analysis, for chat."""
    subs = ", ".join(f"r/{s}" for s in response.metadata.subreddits)
    if response.status == AnalysisStatus.PROCESSING and response.progress.stage:
        p = response.progress
        return (
            f"Your analysis of {subs} is {p.stage.label if p.stage else 'running'} ({p.percent}%): "
            f"{p.posts_collected} posts, {p.comments_collected} comments so far."
        )
    if response.status == AnalysisStatus.COMPLETED and response.results:
        n = len(response.results.opportunities)
        found = plural(n, "opportunity") if n else "no opportunities"
        return f"Your analysis of {subs} is complete with {found}. Spent {usd(response.cost_breakdown.total)}."
    if response.status == AnalysisStatus.FAILED:
        return f"Your analysis of {subs} failed: {response.metadata.error}"
    return f"Your analysis of {subs} is {response.status.value}."


class ChatService:
    """Keeps each thread's dialog state in the database and carries out what the dialog decides."""

    def __init__(
        self,
        database: Database,
        analyses: AnalysisService,
        dialog: Dialog,
        transcriber: Transcriber | None = None,
        *,
        interpreter: RequestInterpreter | None = None,
        watches: WatchService | None = None,
        spend: SpendGovernor | None = None,
        resolver: SubredditResolver | None = None,
        watch_resolver: SubredditResolver | None = None,
    ) -> None:
        self.database = database
        self.analyses = analyses
        self.dialog = dialog
        self.transcriber = transcriber
        self.interpreter = interpreter
        self.watches = watches
        self.watch_commands = WatchCommands(watches) if watches is not None else None
        self.spend = spend
        self.resolver = resolver
        # Offline sources know their own names: a watch over a name they never have would run forever on
        # nothing, so watches are checked against them (a one-off analysis gets the source's note instead).
        self.watch_resolver = watch_resolver

    @property
    def voice_available(self) -> bool:
        """Whether voice notes are taken: voice is on in settings and a transcriber is wired in."""
        return self.transcriber is not None and self.dialog.settings.voice_enabled

    async def talking_in(self, thread: ThreadRef) -> bool:
        """Whether the bot already has a conversation in ``thread`` (so a message there continues it)."""
        async with self.database.unit_of_work() as session:
            return await ThreadLookup(session).state(thread) is not None

    def asks_nothing(self, text: str) -> Literal["help", "nothing"] | None:
        """Whether a fresh message carries nothing to act on, so an adapter can answer in place instead of
        opening a conversation for it: "help" (empty, or asking for help), "nothing" (no subreddit, topic,
        window or budget), None when it is a request or a command."""
        if not text.strip():
            return "help"
        if match_watch_command(text) is not None:
            return None
        parsed = self.dialog.read(text, {})
        if parsed is None:
            return None
        if parsed.intent == Intent.HELP:
            return "help"
        said = parsed.subreddits or parsed.keywords or parsed.window or parsed.max_cost is not None
        return "nothing" if parsed.intent == Intent.SCAN and not said else None

    async def handle_voice(
        self, thread: ThreadRef, audio: bytes, *, filename: str = "", idempotency_key: str | None = None
    ) -> ChatOutcome:
        """Transcribe a voice note, echo what was heard, and treat it as a message that needs confirming.

        Each way a note can fail (too big, too long, not audio, cut off, empty, silent, transcriber down)
        comes back as its own message; nothing raises.
        """
        if self.transcriber is None or not self.voice_available:
            return ChatOutcome(messages=[TranscriberUnavailableError().message])
        vocabulary = await load_vocabulary(self.database, thread.workspace_id)
        try:
            transcript = await self.transcriber.transcribe(audio, filename=filename, hotwords=vocabulary.hotwords())
        except VoiceError as error:
            return ChatOutcome(messages=[error.message])
        except Exception:
            # A broken transcriber must not cost the user their request: they can still type it.
            log.exception("transcription failed", extra={"thread": thread.thread_id, "file": filename})
            return ChatOutcome(messages=[TranscriberUnavailableError().message])
        outcome = await self._handle(thread, transcript.text, True, idempotency_key, vocabulary.subreddits)
        outcome.messages.insert(0, f"I heard: “{transcript.text}”")
        outcome.heard = transcript.text
        return outcome

    async def handle(
        self, thread: ThreadRef, text: str, *, voice: bool = False, idempotency_key: str | None = None
    ) -> ChatOutcome:
        """Answer one message of a thread. User mistakes come back as messages, never as exceptions."""
        vocabulary = await load_vocabulary(self.database, thread.workspace_id)
        return await self._handle(thread, text, voice, idempotency_key, vocabulary.subreddits)

    async def _handle(
        self, thread: ThreadRef, text: str, voice: bool, idempotency_key: str | None, known: list[str]
    ) -> ChatOutcome:
        # "pause watch 3", "list my watches", "my email is …" are commands, not requests to parse.
        if self.watch_commands is not None:
            answer = await self.watch_commands.answer(thread, text)
            if answer is not None:
                return ChatOutcome(messages=[answer])
        async with self.database.unit_of_work() as session:
            conversation = await ConversationRepository(session).open(thread)
            state, conversation_id, latest = dict(conversation.state), conversation.id, conversation.analysis_id
        parsed, reading = await self._read(text, state, known, thread)
        name_notes = await self._check_names(parsed)
        read_cost = reading.cost if reading else Decimal("0")
        if reading is not None and (read_cost or reading.tokens_in):
            # No analysis exists yet (and the message may never lead to one): the workspace pays for the read.
            await self._charge_read(thread, reading, idempotency_key)
        reply, new_state = self.dialog.handle(
            text, state, voice=voice, known_subreddits=known, parsed=parsed, read_cost=read_cost
        )
        outcome = await self._act(thread, reply, new_state, conversation_id, latest, idempotency_key)
        outcome.messages[:0] = name_notes
        outcome.parse_cost = read_cost
        return outcome

    async def command(
        self, thread: ThreadRef, command: EditDraft | Confirm | Cancel, *, idempotency_key: str | None = None
    ) -> ChatOutcome:
        """Carry out a typed command from a button or form (Run, Cancel, the Edit form's fields)."""
        async with self.database.unit_of_work() as session:
            conversation = await ConversationRepository(session).open(thread)
            state, conversation_id, latest = dict(conversation.state), conversation.id, conversation.analysis_id
        reply, new_state = self.dialog.apply(command, state)
        return await self._act(thread, reply, new_state, conversation_id, latest, idempotency_key)

    async def dialog_state(self, thread: ThreadRef) -> DialogState:
        """Where the thread's dialog stands (idle for a thread never seen)."""
        async with self.database.unit_of_work() as session:
            conversation = await ConversationRepository(session).open(thread)
            return DialogState.of(conversation.state)

    async def _act(
        self,
        thread: ThreadRef,
        reply: Reply,
        new_state: dict[str, Any],
        conversation_id: int,
        latest: str | None,
        idempotency_key: str | None,
    ) -> ChatOutcome:
        """Keep the new state, then do what the dialog decided: start, set up a watch, report or cancel."""
        new_state = {k: v for k, v in new_state.items() if k != "parse_cost"}
        async with self.database.unit_of_work() as session:
            await ConversationRepository(session).save_state(conversation_id, new_state)
        run = reply.action if isinstance(reply.action, RunAnalysis) else None
        # "Starting: …" is said only once the service has accepted the request; a refusal replaces it.
        said = [m for m in reply.messages if run is None or m != run.announcement]
        outcome = ChatOutcome(messages=said, parsed=reply.parsed)
        outcome.messages += await self._address_note(thread, new_state)
        try:
            if isinstance(reply.action, CreateWatch):
                outcome.messages.append(await self._create_watch(thread, reply.action))
            elif run is not None:
                outcome.submission = await self.analyses.start(
                    StartAnalysis(run.request, thread=thread, idempotency_key=idempotency_key)
                )
                if run.announcement:
                    outcome.messages.append(run.announcement)
                if not outcome.submission.queued and outcome.submission.message:
                    outcome.messages.append(outcome.submission.message)
            elif isinstance(reply.action, SimpleAction):
                await self._simple(reply.action.intent, latest, outcome, thread)
        except AppError as error:
            outcome.messages.append(error.message)
        return outcome

    async def _address_note(self, thread: ThreadRef, state: dict[str, Any]) -> list[str]:
        """Before a yes: say so when alerts are to be emailed and no address is known or given."""
        alerts = (state.get("draft") or {}).get("alerts") or {}
        if state.get("phase") != "confirming" or alerts.get("delivery") not in (EMAIL, BOTH) or alerts.get("address"):
            return []
        async with self.database.unit_of_work() as session:
            known = await OutboxRepository(session).email_of(thread.platform, thread.workspace_id, thread.user_id)
        if known is not None:
            return []
        return ["I don't have your email address yet: add it here, like “email you@example.com”."]

    async def _check_names(self, parsed: ParsedMessage | None) -> list[str]:
        """Check the named subreddits with Reddit: drop the unreadable ones (saying why and what to do) and turn
        misspelt ones into a guess the dialog confirms. Returns what to tell the user."""
        resolver = self.resolver
        if resolver is None and parsed is not None and parsed.intent == Intent.WATCH:
            resolver = self.watch_resolver
        if resolver is None or parsed is None or not parsed.subreddits:
            return []
        try:
            resolution = await resolver.resolve_subreddits(parsed.subreddits)
        except Exception:  # Reddit unreachable: the worker checks the names again before it collects
            log.warning("could not check subreddit names with Reddit", exc_info=True)
            return []
        names: list[str] = []
        for name in resolution.names:
            if name.state is SubredditState.OK and name.resolved:
                names.append(name.resolved)
                if name.needs_confirmation:
                    parsed.fuzzy.append(FuzzyName(heard=name.asked, name=name.resolved))
            elif name.state is SubredditState.NOT_FOUND and len(name.suggestions) == 1:
                # One clear suggestion: use it, but only once the user confirms it.
                names.append(name.suggestions[0])
                parsed.fuzzy.append(FuzzyName(heard=name.asked, name=name.suggestions[0]))
        parsed.subreddits = names
        return [
            n.message
            for n in resolution.problems
            if not (n.state is SubredditState.NOT_FOUND and len(n.suggestions) == 1)
        ]

    async def _read(
        self, text: str, state: dict[str, Any], known: list[str], thread: ThreadRef
    ) -> tuple[ParsedMessage | None, Interpretation | None]:
        """The deterministic reading, completed by the LLM when one is configured, it is needed and it fits the caps."""
        if self.interpreter is None:
            checked = self.resolver is not None or self.watch_resolver is not None
            return (self.dialog.read(text, state, known) if checked else None), None
        parsed = self.dialog.read(text, state, known)
        if parsed is None or not needs_llm(parsed, text):
            return parsed, None
        if self.spend is not None:
            room = await self.spend.room(thread.workspace_id, thread.user_id)
            if room is not None and self.interpreter.estimate(text) > room:
                log.info("LLM read skipped: it could cost more than the %s left under the monthly caps", room)
                return parsed, None
        reading = await self.interpreter.interpret(text, self.dialog.now(), parsed)
        return reading.parsed, reading

    async def _charge_read(self, thread: ThreadRef, reading: Interpretation, idempotency_key: str | None) -> None:
        key = f"read:{thread.platform}:{idempotency_key}" if idempotency_key else f"read:{uuid.uuid4().hex}"
        async with self.database.unit_of_work() as session:
            await ChatReadRepository(session).charge(
                thread.workspace_id,
                thread.user_id,
                key[:128],
                reading.cost,
                tokens_in=reading.tokens_in,
                tokens_out=reading.tokens_out,
                now=self.dialog.now(),
            )

    async def _create_watch(self, thread: ThreadRef, watch: CreateWatch) -> str:
        if self.watches is None:
            return "Watches are not set up on this bot; I can run the analysis once instead."
        noted = ""
        monthly = watch.monthly_budget
        if monthly is None:
            monthly = self.watches.settings.watch_default_monthly_budget_usd
        if watch.address:
            # The address was confirmed with the watch, so it is the owner's address from now on.
            noted = await self.watches.set_email(thread, watch.address) + " "
        view = await self.watches.create(
            thread,
            WatchSpec(
                subreddits=watch.subreddits,
                keywords=watch.keywords,
                threshold=watch.threshold,
                cadence_hours=watch.cadence_hours,
                monthly_budget=watch.monthly_budget,
                push=watch.push,
                email=watch.email,
                cost_threshold=watch.cost_alert.against(monthly) if watch.cost_alert else None,
            ),
        )
        return noted + view.confirmation()

    async def _simple(self, intent: Intent, latest: str | None, outcome: ChatOutcome, thread: ThreadRef) -> None:
        if intent == Intent.SPEND:
            if self.spend is None:
                outcome.messages.append("Spend reports are not set up on this bot; each analysis shows its own cost.")
            else:
                outcome.messages.append((await self.spend.report(thread.workspace_id, thread.user_id)).render())
            return
        if latest is None:
            outcome.messages.append("There is no analysis in this conversation yet. Ask me to scan some subreddits.")
            return
        if intent == Intent.CANCEL:
            outcome.messages.append(await self.analyses.cancel(latest, answered_in_thread=True))
            return
        outcome.status = await self.analyses.get(latest)
        outcome.messages.append(describe_status(outcome.status))
