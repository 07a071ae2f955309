"""The ``ChatModel`` port on the openai client, for any OpenAI-compatible endpoint.

The client's own retries are off: synthesis decides about retries itself, because each attempt
is a separate paid call that must be reserved against the budget before it is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import openai
from openai import AsyncOpenAI

from oppscout.core.analysis.embedding import EmbeddingReply
from oppscout.core.analysis.synthesis import ChatReply, LlmCallError
from oppscout.core.settings import Settings

if TYPE_CHECKING:
    from oppscout.jobs.health_reporter import ComponentReporter


class OpenAIChatModel:
    """Chat completions with JSON-schema structured output.

    With a ``reporter``, each call's outcome is published for the health endpoint: healthy after an
    answer, degraded after a failure worth retrying, down once ``give_up_after`` calls in a row failed
    (synthesis has given up and fallen back to the local engine by then) or the key was refused.
    """

    def __init__(
        self, client: AsyncOpenAI, model: str, *, reporter: ComponentReporter | None = None, give_up_after: int = 3
    ) -> None:
        self.client = client
        self.model = model
        self.reporter = reporter
        self.give_up_after = max(1, give_up_after)
        self._failures_in_a_row = 0

    async def complete(self, system: str, user: str, *, max_tokens: int, schema: dict[str, Any]) -> ChatReply:
        """One completion; provider failures become ``LlmCallError`` (transient or not)."""
        try:
            reply = await self._complete(system, user, max_tokens=max_tokens, schema=schema)
        except LlmCallError as error:
            await self._report_failure(error)
            raise
        self._failures_in_a_row = 0
        if self.reporter is not None:
            await self.reporter.healthy(f"{self.model} answered the last call")
        return reply

    async def _report_failure(self, error: LlmCallError) -> None:
        refused = isinstance(error.__cause__, openai.AuthenticationError | openai.PermissionDeniedError)
        if not error.transient and not refused:
            return  # e.g. a reply without usage: about this call, not the provider's state
        self._failures_in_a_row += 1
        if self.reporter is None:
            return
        if refused or self._failures_in_a_row >= self.give_up_after:
            await self.reporter.down(f"{error}; {self._failures_in_a_row} call(s) in a row failed")
        else:
            await self.reporter.degraded(f"{error}; retrying")

    async def _complete(self, system: str, user: str, *, max_tokens: int, schema: dict[str, Any]) -> ChatReply:
        try:
            response = await self.client.chat.completions.create(
                model=self.model,
                messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
                max_tokens=max_tokens,
                temperature=0,
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "opportunity", "schema": schema},
                },
            )
        except (openai.APITimeoutError, openai.APIConnectionError) as error:
            raise LlmCallError("the model did not answer in time", transient=True) from error
        except openai.RateLimitError as error:
            raise LlmCallError("the provider is rate limiting us", transient=True) from error
        except openai.InternalServerError as error:
            raise LlmCallError(f"the provider failed ({error.status_code})", transient=True) from error
        except openai.APIStatusError as error:
            raise LlmCallError(f"the provider refused the request ({error.status_code})", transient=False) from error
        except openai.APIResponseValidationError as error:
            raise LlmCallError("the provider's reply was not understood", transient=True) from error
        usage = response.usage
        content = response.choices[0].message.content if response.choices else None
        if usage is None:
            # Without usage the call cannot be settled at its real price: treat it as unusable.
            raise LlmCallError("the provider did not report token usage", transient=False)
        return ChatReply(content=content or "", tokens_in=usage.prompt_tokens, tokens_out=usage.completion_tokens)


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
            raise LlmCallError("the embeddings endpoint failed", transient=True) from error
        ordered = sorted(response.data, key=lambda d: d.index)
        return EmbeddingReply([list(d.embedding) for d in ordered], response.usage.prompt_tokens)


def openai_client(settings: Settings) -> AsyncOpenAI:
    """The client for the configured endpoint (a local server needs no real key)."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    return AsyncOpenAI(
        api_key=key,
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout_seconds,
        max_retries=0,
    )
