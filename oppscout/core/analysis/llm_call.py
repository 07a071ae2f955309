"""One paid LLM call: reserved at a true upper bound, settled from usage, retried only with a change.

The reservation is the most the call can cost: the prompt counted by the server's own tokenizer
when it offers one (else a bound that holds for any byte-level tokenizer: one token per UTF-8
byte, plus the chat template's framing), plus every output token ``max_tokens`` allows. A call
is settled from the reported ``usage``, never above its reservation; a call that may have been
paid for without saying what it cost (a timeout, a reply that is not a chat completion, a reply
without usage) is settled at its reservation, so the ledger never shows less than was spent.

A failed attempt is retried only when the next one differs (a repair prompt naming the
validation error, a larger ``max_tokens`` for a cut-off answer, ``json_object`` and then plain
JSON for a server that refuses ``json_schema``): at temperature 0 the same paid request gives the
same answer, so it is never sent twice. Unpaid failures (429, 5xx, a refused connection) may be
retried as they were after a pause.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol, TypeVar

from oppscout.core.analysis.budget import AnalysisBudget
from oppscout.core.costs import PriceTable

log = logging.getLogger(__name__)

OutputFormat = Literal["json_schema", "json_object", "text"]
FORMATS: tuple[OutputFormat, ...] = ("json_schema", "json_object", "text")
CHARS_PER_TOKEN = 4
# Tokens a chat template adds around one message (role markers, separators), and around the reply.
# Generous on purpose: Llama 3's header is 5 tokens a message, Gemma's 5, OpenAI's about 4.
MESSAGE_FRAMING = 16
REPLY_FRAMING = 16
# A cut-off answer is retried with twice the output allowance, up to this many times the first.
MAX_TOKENS_GROWTH = 4

T = TypeVar("T")


@dataclass(frozen=True)
class ChatReply:
    """A model's answer, the tokens the provider counted (None when it did not say) and whether it was cut off."""

    content: str
    tokens_in: int | None
    tokens_out: int | None
    truncated: bool = False


class LlmCallError(Exception):
    """A call failed.

    ``transient`` (timeout, 429, 5xx) means trying again may work; ``billed`` means the provider may
    have charged for it (it ran, or answered with something unusable) without saying how much.
    ``kind`` names the failure for the retry policy: timeout, unreachable, rate_limited, server_error,
    bad_request, refused or garbage.
    """

    def __init__(self, message: str, *, transient: bool, billed: bool = False, kind: str = "failed") -> None:
        super().__init__(message)
        self.transient = transient
        self.billed = billed
        self.kind = kind


class ChatModel(Protocol):
    """An OpenAI-compatible chat endpoint, as paid calls need it."""

    model: str

    async def complete(
        self, system: str, user: str, *, max_tokens: int, schema: dict[str, Any], output: OutputFormat = "json_schema"
    ) -> ChatReply:
        """One completion asking for JSON in the ``output`` way; raises ``LlmCallError``."""
        ...

    async def count_tokens(self, texts: Sequence[str]) -> int | None:
        """The server's own token count of these texts, or None when it offers no tokenizer."""
        ...


def estimate_tokens(*texts: str) -> int:
    """A typical token count (about four characters a token) for expected-cost ranges, never for reservations."""
    return sum(math.ceil(len(t) / CHARS_PER_TOKEN) + MESSAGE_FRAMING // 2 for t in texts)


def byte_bound(*texts: str) -> int:
    """The most tokens any byte-level tokenizer (BPE, or SentencePiece with byte fallback) makes of these
    messages: each token covers at least one UTF-8 byte, plus the template's framing."""
    return sum(len(t.encode("utf-8")) + MESSAGE_FRAMING for t in texts) + REPLY_FRAMING


async def prompt_bound(chat: ChatModel, texts: Sequence[str]) -> int:
    """The most prompt tokens these messages can be: the server's count when it has a tokenizer, else the byte bound."""
    counted = await chat.count_tokens(texts)
    if counted is None:
        return byte_bound(*texts)
    return counted + MESSAGE_FRAMING * len(texts) + REPLY_FRAMING


def skeleton(schema: dict[str, Any], node: dict[str, Any] | None = None) -> Any:
    """The shape of a JSON schema as a compact example value (``$ref`` resolved), a few tokens, not hundreds."""
    node = schema if node is None else node
    if "$ref" in node:
        return skeleton(schema, schema.get("$defs", {})[node["$ref"].rsplit("/", 1)[-1]])
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        return {name: skeleton(schema, sub) for name, sub in node.get("properties", {}).items()}
    if kind == "array":
        return [skeleton(schema, node.get("items", {}))]
    return {"string": "", "integer": 0, "number": 0.0, "boolean": False}.get(str(kind))


def format_hint(output: OutputFormat, schema: dict[str, Any]) -> str:
    """What the user message must add when the server does not enforce the schema itself."""
    if output == "json_schema":
        return ""
    shape = json.dumps(skeleton(schema), separators=(",", ":"))
    return f"\n\nReply with one JSON object, and nothing else, shaped like: {shape}"


def json_text(content: str) -> str:
    """The JSON object in a reply: the whole reply, or the outermost braces of one wrapped in prose or fences."""
    stripped = content.strip()
    if stripped.startswith("{"):
        return stripped
    match = re.search(r"\{.*\}", content, flags=re.DOTALL)
    return match.group(0) if match else stripped


@dataclass(frozen=True)
class Attempt:
    """What one attempt sends; two equal attempts are the same paid call."""

    user: str
    max_tokens: int
    output: OutputFormat = "json_schema"
    repair: str = ""

    def message(self, schema: dict[str, Any]) -> str:
        """The user message as sent."""
        return self.user + format_hint(self.output, schema) + self.repair

    def plainer(self) -> Attempt | None:
        """The same request asking for JSON a less demanding way, or None when already plain."""
        index = FORMATS.index(self.output)
        return replace(self, output=FORMATS[index + 1]) if index + 1 < len(FORMATS) else None


class InvalidAnswer(ValueError):
    """An answer that is not what was asked for; the message is safe to send back in a repair prompt."""


@dataclass
class PaidCall:
    """Runs one logical call to a budget: reserve, call, settle, validate, and retry with a change."""

    chat: ChatModel
    prices: PriceTable
    schema: dict[str, Any]
    max_attempts: int = 3
    backoff_seconds: float = 1.0

    async def run(
        self, key: str, system: str, user: str, max_tokens: int, budget: AnalysisBudget, validate: Callable[[str], T]
    ) -> tuple[T, int]:
        """The validated answer and the attempts it took; raises ``LlmCallError`` or ``BudgetExceededError``."""
        attempt: Attempt | None = Attempt(user, max_tokens)
        paid: set[Attempt] = set()
        last: LlmCallError | None = None
        for number in range(self.max_attempts):
            if attempt is None or attempt in paid:
                break  # the same paid request would give the same answer
            if number and not last_was_paid(last):
                await asyncio.sleep(self.backoff_seconds * 2 ** (number - 1))
            reply, error = await self._once(f"{key}:{number}", system, attempt, budget)
            if error is not None:
                last = error
                if error.billed:
                    paid.add(attempt)
                attempt = self._after_failure(attempt, error)
                continue
            assert reply is not None
            paid.add(attempt)
            try:
                return validate(json_text(reply.content)), number + 1
            except InvalidAnswer as invalid:
                last = LlmCallError(f"its reply did not match the expected format ({invalid})", transient=True)
                attempt = self._after_invalid(attempt, reply, str(invalid), max_tokens)
        raise last or LlmCallError("no attempt could be made", transient=False)

    async def _once(
        self, key: str, system: str, attempt: Attempt, budget: AnalysisBudget
    ) -> tuple[ChatReply | None, LlmCallError | None]:
        message = attempt.message(self.schema)
        texts = [system, message] + ([json.dumps(self.schema)] if attempt.output == "json_schema" else [])
        tokens_in = await prompt_bound(self.chat, texts)
        most = self.prices.llm_cost(self.chat.model, tokens_in, attempt.max_tokens)
        reservation = await budget.governor.reserve(key, most, "llm")
        try:
            reply = await self.chat.complete(
                system, message, max_tokens=attempt.max_tokens, schema=self.schema, output=attempt.output
            )
        except LlmCallError as error:
            if error.billed:
                # It may have run to the end: charge what it could have cost, the most the budget allowed.
                warnings = await budget.governor.settle(
                    reservation, most, tokens_in=tokens_in, tokens_out=attempt.max_tokens
                )
                await budget.announce(warnings)
            else:
                await budget.governor.release(reservation)  # an error answer: nothing was generated
            log.info("LLM attempt %s failed: %s", key, error)
            return None, error
        if reply.tokens_in is None or reply.tokens_out is None:
            # Without usage the real price is unknown: charge the reservation, the most it could have cost.
            actual, used_in, used_out = most, tokens_in, attempt.max_tokens
        else:
            used_in, used_out = reply.tokens_in, reply.tokens_out
            actual = self.prices.llm_cost(self.chat.model, used_in, used_out)
        warnings = await budget.governor.settle(reservation, actual, tokens_in=used_in, tokens_out=used_out)
        await budget.announce(warnings)
        return reply, None

    def _after_failure(self, attempt: Attempt, error: LlmCallError) -> Attempt | None:
        if error.kind in ("server_error", "bad_request", "garbage"):
            # A server that refuses json_schema answers 400 or 500 (llama-cpp-python's does): ask plainer.
            plainer = attempt.plainer()
            if plainer is not None:
                return plainer
            return attempt if error.kind == "server_error" else None
        if error.kind in ("rate_limited", "unreachable"):
            return attempt  # nothing was generated, so the same request is not paid twice
        return None  # timed out (settled at its reservation) or refused: sending it again would not help

    def _after_invalid(self, attempt: Attempt, reply: ChatReply, problem: str, first_max: int) -> Attempt | None:
        if reply.truncated:
            grown = min(attempt.max_tokens * 2, first_max * MAX_TOKENS_GROWTH)
            return replace(attempt, max_tokens=grown) if grown > attempt.max_tokens else attempt.plainer()
        repair = (
            f"\n\nYour previous reply could not be used: {problem}. "
            "Reply again with the whole answer as one JSON object and nothing else."
        )
        if attempt.repair == repair:
            return attempt.plainer()
        return replace(attempt, repair=repair)


def last_was_paid(error: LlmCallError | None) -> bool:
    """Whether the previous attempt was answered (no need to wait before changing the request)."""
    return error is None or error.kind not in ("rate_limited", "unreachable", "server_error")
