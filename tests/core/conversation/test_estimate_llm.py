"""The confirmation's estimate of the LLM step: tiny budgets in more than cents, a free LLM said as such."""

from __future__ import annotations

from oppscout.core.conversation.dialog import Dialog
from oppscout.core.settings import Settings

MESSAGE = "r/freelance and r/smallbusiness about invoices, last 14 days, budget $0.001"


def _estimate_line(settings: Settings) -> str:
    reply, _ = Dialog(settings, confirm_always=True).handle(MESSAGE, {})
    [message] = reply.messages
    return message[message.index("Estimate: ") :]


def test_a_tiny_budget_estimate_shows_its_digits_not_zero_cents() -> None:
    settings = Settings(_env_file=None, openai_base_url="http://127.0.0.1:9/v1", llm_max_themes=1)
    line = _estimate_line(settings)
    assert "$0.00–" not in line
    assert "–$0.001," in line  # the high end is the whole (tiny) budget


def test_a_free_llm_is_not_called_a_local_analysis() -> None:
    free = Settings(_env_file=None, openai_base_url="http://127.0.0.1:9/v1", openai_model="local", llm_free=True)
    assert "$0 (no paid calls: the LLM here is free)" in _estimate_line(free)
    unpriced = free.model_copy(update={"llm_free": False})
    assert "$0 (local analysis, no paid calls)" in _estimate_line(unpriced)
