"""The ``ChatModel`` port on the openai client, for any OpenAI-compatible endpoint.

The client's own retries are off: synthesis decides about retries itself, because each attempt
is a separate paid call that must be reserved against the budget before it is made.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx2
import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from oppscout.core.analysis.embedding import EmbeddingReply
from oppscout.core.analysis.llm_call import ChatReply, LlmCallError, OutputFormat
from oppscout.core.settings import Settings

if TYPE_CHECKING:
    from oppscout.jobs.health_reporter import ComponentReporter

log = logging.getLogger(__name__)

TOKENIZE_TIMEOUT_SECONDS = 5.0
TOKEN_COUNT_CACHE = 64


class OpenAIChatModel:
    """Chat completions asking for JSON (``json_schema``, ``json_object`` or plain), and the server's tokenizer.

    With a ``reporter``, each call's outcome is published for the health endpoint: healthy after an
    answer, degraded after a failure, down once ``give_up_after`` calls in a row failed (synthesis has
    given up and fallen back to the local engine by then) or the key was refused. An endpoint that
    answers with something that is not a chat completion counts as failing.
    """

    def __init__(
        self,
        client: AsyncOpenAI,
        model: str,
        *,
        reporter: ComponentReporter | None = None,
        give_up_after: int = 3,
        stream: bool = True,
        call_max_seconds: float = 600.0,
    ) -> None:
        self.client = client
        self.model = model
        self.stream = stream
        self.call_max_seconds = call_max_seconds
        self.reporter = reporter
        self.give_up_after = max(1, give_up_after)
        self._failures_in_a_row = 0
        self._tokenizer: bool | None = None  # unknown until asked once
        self._counted: dict[str, int] = {}

    async def complete(
        self, system: str, user: str, *, max_tokens: int, schema: dict[str, Any], output: OutputFormat = "json_schema"
    ) -> ChatReply:
        """One completion; provider failures become ``LlmCallError`` (transient or not, billed or not)."""
        try:
            reply = await self._complete(system, user, max_tokens=max_tokens, schema=schema, output=output)
        except LlmCallError as error:
            await self._report_failure(error)
            raise
        self._failures_in_a_row = 0
        if self.reporter is not None:
            await self.reporter.healthy(f"{self.model} answered the last call")
        return reply

    async def count_tokens(self, texts: Sequence[str]) -> int | None:
        """The count of llama.cpp's ``POST /tokenize`` (at the server root), or None when the server has none.

        Asked once per text; a server without the route (OpenAI, most proxies) is not asked again.
        """
        if self._tokenizer is False:
            return None
        url = str(self.client.base_url).rstrip("/").removesuffix("/v1") + "/tokenize"
        total = 0
        try:
            for text in texts:
                if text in self._counted:  # the system prompt and the schema repeat on every call
                    total += self._counted[text]
                    continue
                response = await self.client.post(
                    url,
                    cast_to=httpx2.Response,
                    body={"content": text, "add_special": False},
                    options={"timeout": TOKENIZE_TIMEOUT_SECONDS},
                )
                tokens = response.json().get("tokens")
                if not isinstance(tokens, list):
                    raise ValueError("no token list in the reply")
                if len(self._counted) < TOKEN_COUNT_CACHE:
                    self._counted[text] = len(tokens)
                total += len(tokens)
        except (openai.OpenAIError, ValueError, AttributeError) as error:
            log.info("the LLM server offers no tokenizer (%s): prompts are bounded by their UTF-8 bytes", error)
            self._tokenizer = False
            return None
        self._tokenizer = True
        return total

    async def _report_failure(self, error: LlmCallError) -> None:
        refused = error.kind == "refused"
        if error.kind == "bad_request":
            return  # about this request (e.g. an unsupported response_format), not the provider's state
        self._failures_in_a_row += 1
        if self.reporter is None:
            return
        if refused or self._failures_in_a_row >= self.give_up_after:
            calls = "call" if self._failures_in_a_row == 1 else "calls"
            await self.reporter.down(f"{error}; {self._failures_in_a_row} {calls} in a row failed")
        else:
            await self.reporter.degraded(f"{error}; retrying")

    async def _complete(
        self, system: str, user: str, *, max_tokens: int, schema: dict[str, Any], output: OutputFormat
    ) -> ChatReply:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "max_tokens": max_tokens,
            "temperature": 0,
        }
        if output == "json_schema":
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "opportunity", "schema": schema},
            }
        elif output == "json_object":
            request["response_format"] = {"type": "json_object"}
        try:
            async with asyncio.timeout(self.call_max_seconds):
                if not self.stream:
                    return _reply(await self.client.chat.completions.create(**request))
                return await self._streamed(request)
        except TimeoutError as error:
            raise LlmCallError(
                f"the model was still writing after {self.call_max_seconds:g} s",
                transient=True,
                billed=True,
                kind="timeout",
            ) from error
        except (openai.APITimeoutError, httpx2.TimeoutException) as error:
            # The server may go on generating, and may charge for it: the call is settled at its reservation.
            raise LlmCallError(
                "the model did not answer in time", transient=True, billed=True, kind="timeout"
            ) from error
        except openai.APIConnectionError as error:
            if isinstance(error.__cause__, httpx2.ConnectError):
                raise LlmCallError("the LLM server could not be reached", transient=True, kind="unreachable") from error
            raise _broken() from error
        except httpx2.HTTPError as error:  # raised while a stream is read
            raise _broken() from error
        except openai.RateLimitError as error:
            raise LlmCallError("the provider is rate limiting us", transient=True, kind="rate_limited") from error
        except openai.InternalServerError as error:
            raise LlmCallError(
                f"the provider failed ({error.status_code})", transient=True, kind="server_error"
            ) from error
        except (openai.AuthenticationError, openai.PermissionDeniedError) as error:
            raise LlmCallError(
                f"the provider refused our key ({error.status_code})", transient=False, kind="refused"
            ) from error
        except openai.APIStatusError as error:
            kind = "bad_request" if error.status_code in (400, 422) else "refused"
            raise LlmCallError(
                f"the provider refused the request ({error.status_code})", transient=False, kind=kind
            ) from error
        except (openai.APIResponseValidationError, openai.APIError, ValueError) as error:
            # Unparseable: a bad envelope, or an error event in the middle of a stream.
            raise LlmCallError(
                "the provider's reply was not understood", transient=True, billed=True, kind="garbage"
            ) from error

    async def _streamed(self, request: dict[str, Any]) -> ChatReply:
        """The answer read as it is written, so a slow server is waited for only while it is silent.

        The client's read timeout applies between two chunks (an idle timeout); leaving early (a timeout,
        a cancelled job) closes the connection, which tells llama.cpp's server to stop generating.
        """
        stream = await self.client.chat.completions.create(
            **request, stream=True, stream_options={"include_usage": True}
        )
        parts: list[str] = []
        finish: str | None = None
        usage: Any = None
        chunks = 0
        try:
            async for chunk in stream:
                if not isinstance(chunk, ChatCompletionChunk):
                    continue
                chunks += 1
                usage = chunk.usage or usage
                for choice in chunk.choices:
                    parts.append(choice.delta.content or "")
                    finish = choice.finish_reason or finish
        finally:
            await stream.close()
        if not chunks:
            raise _garbage()
        return ChatReply(
            content="".join(parts),
            tokens_in=usage.prompt_tokens if usage is not None else None,
            tokens_out=usage.completion_tokens if usage is not None else None,
            truncated=finish == "length",
        )


def _broken() -> LlmCallError:
    return LlmCallError(
        "the connection to the LLM server broke mid-answer", transient=True, billed=True, kind="timeout"
    )


def _garbage() -> LlmCallError:
    # A proxy's error page or a server's bare text with status 200: it may have been paid for.
    return LlmCallError(
        "the endpoint answered with something that is not a chat completion",
        transient=True,
        billed=True,
        kind="garbage",
    )


def _reply(response: Any) -> ChatReply:
    """A chat completion as synthesis needs it; anything else (an HTML page, bare text) is garbage."""
    if not isinstance(response, ChatCompletion) or not response.choices:
        raise _garbage()
    choice = response.choices[0]
    usage = response.usage
    return ChatReply(
        content=choice.message.content or "",
        tokens_in=usage.prompt_tokens if usage is not None else None,
        tokens_out=usage.completion_tokens if usage is not None else None,
        truncated=choice.finish_reason == "length",
    )


class OpenAIEmbeddings:
    """Sentence vectors from an OpenAI-compatible embeddings endpoint."""

    def __init__(self, client: AsyncOpenAI, model: str) -> None:
        self.client = client
        self.model = model

    async def embed(self, texts: list[str]) -> EmbeddingReply:
        """One vector per text, in order, and the tokens the provider counted."""
        try:
            response = await self.client.embeddings.create(model=self.model, input=texts)
        except openai.OpenAIError as error:
            raise LlmCallError(f"{type(error).__name__}", transient=True) from error
        ordered = sorted(response.data, key=lambda d: d.index)
        return EmbeddingReply([list(d.embedding) for d in ordered], response.usage.prompt_tokens)


def openai_client(settings: Settings) -> AsyncOpenAI:
    """The client for the configured endpoint (a local server needs no real key)."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    # The read timeout is the longest silence: between two chunks of a streamed answer, or the whole
    # wait when streaming is off. Connecting is given its own, short, limit.
    timeout = httpx2.Timeout(settings.llm_timeout_seconds, connect=min(10.0, settings.llm_timeout_seconds))
    return AsyncOpenAI(api_key=key, base_url=settings.openai_base_url, timeout=timeout, max_retries=0)


def chat_model(
    settings: Settings, client: AsyncOpenAI | None = None, *, reporter: ComponentReporter | None = None
) -> OpenAIChatModel:
    """The chat model the settings describe."""
    return OpenAIChatModel(
        client or openai_client(settings),
        settings.openai_model,
        reporter=reporter,
        give_up_after=settings.llm_max_attempts,
        stream=settings.llm_stream,
        call_max_seconds=settings.llm_call_max_seconds,
    )
