"""Reservations are true upper bounds and maxCost is never exceeded, whatever the text and the provider do.

The provider here tokenizes like the densest byte-level tokenizer there can be (one token per UTF-8 byte,
plus its chat template), answers with scripted usage (true, over-reported, missing), garbage, cut-off
JSON or a timeout, and the text is drawn from dense scripts (CJK, emoji, combining marks).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oppscout.core.analysis.budget import AnalysisBudget, MemoryCache
from oppscout.core.analysis.engine import Excerpt
from oppscout.core.analysis.llm_call import ChatReply, LlmCallError, OutputFormat
from oppscout.core.analysis.synthesis import SynthesisEngine, ThemeBrief, batch_message
from oppscout.core.costs import CostGovernor, PriceTable
from oppscout.core.errors import BudgetExceededError
from oppscout.core.ports import LedgerTotals
from oppscout.core.settings import Settings
from tests.core.analysis.builders import post

ANSWER = (
    '{"opportunities": [{"n": 1, "title": "T", "problem": "P", "who": "W", "willingness_to_pay": "none", '
    '"product_idea": "I", "confidence": 0.5}]}'
)
# Tokens a real chat template adds (Llama 3: 5 a message and 4 for the reply); the bound allows more.
TEMPLATE_PER_MESSAGE = 5
TEMPLATE_REPLY = 4


class MemoryLedger:
    """The Ledger port's rules (hold unless over budget; idempotent per key) in memory."""

    def __init__(self) -> None:
        self.held: dict[str, Decimal] = {}
        self.charged: dict[str, Decimal] = {}
        self.last_reserved = Decimal(0)

    async def totals(self, analysis_id: str) -> LedgerTotals:
        return LedgerTotals(spent=sum(self.charged.values(), Decimal(0)), reserved=sum(self.held.values(), Decimal(0)))

    async def reserve(self, analysis_id: str, key: str, kind: str, amount: Decimal, budget: Decimal) -> bool:
        if key in self.held or key in self.charged:
            return True
        totals = await self.totals(analysis_id)
        if totals.spent + totals.reserved + amount > budget:
            return False
        self.held[key] = amount
        self.last_reserved = amount
        return True

    async def settle(
        self, analysis_id: str, key: str, actual: Decimal, *, tokens_in: int, tokens_out: int, calls: int
    ) -> None:
        if key in self.held:
            del self.held[key]
            self.charged[key] = actual

    async def release(self, analysis_id: str, key: str) -> None:
        self.held.pop(key, None)


@dataclass
class Step:
    """What the provider does on one call."""

    outcome: str  # "ok", "truncated", "garbage", "timeout", "429", "no-usage", "invalid"
    out_fraction: float  # how much of max_tokens it really generates
    over_report: int  # reported usage = true usage x this (1 = honest)


@dataclass
class DenseProvider:
    """An OpenAI-compatible provider with the densest byte-level tokenizer, following a script."""

    ledger: MemoryLedger
    prices: PriceTable
    script: list[Step]
    tokenizer: bool
    model: str = "gpt-4o-mini"
    requests: list[tuple[str, int, str]] = field(default_factory=list)
    true_costs: list[tuple[Decimal, Decimal]] = field(default_factory=list)  # (true cost, its reservation)

    async def count_tokens(self, texts: Sequence[str]) -> int | None:
        return sum(len(t.encode()) for t in texts) if self.tokenizer else None

    async def complete(
        self, system: str, user: str, *, max_tokens: int, schema: dict[str, Any], output: OutputFormat = "json_schema"
    ) -> ChatReply:
        step = self.script.pop(0) if self.script else Step("ok", 0.1, 1)
        prompt = len(system.encode()) + len(user.encode()) + 2 * TEMPLATE_PER_MESSAGE + TEMPLATE_REPLY
        if output == "json_schema":  # a provider that counts the schema as prompt too
            prompt += len(json.dumps(schema).encode())
        out = int(max_tokens * step.out_fraction)
        if step.outcome == "429":
            raise LlmCallError("scripted 429", transient=True, kind="rate_limited")
        self.requests.append((user, max_tokens, output))
        self.true_costs.append((self.prices.llm_cost(self.model, prompt, out), self.ledger.last_reserved))
        if step.outcome == "timeout":
            raise LlmCallError("scripted timeout", transient=True, billed=True, kind="timeout")
        if step.outcome == "garbage":
            raise LlmCallError("scripted HTML", transient=True, billed=True, kind="garbage")
        content = {"ok": ANSWER, "truncated": ANSWER[:40], "invalid": '{"title": 5}', "no-usage": ANSWER}[step.outcome]
        if step.outcome == "no-usage":
            return ChatReply(content=content, tokens_in=None, tokens_out=None)
        k = step.over_report
        return ChatReply(content, prompt * k, out * k, truncated=step.outcome == "truncated")


dense_text = st.text(
    alphabet=st.sampled_from('中文字句話題帳單請求価格ﾃｽﾄ😀🧾💸é\u0301\u200dxyz <>/"\\\n'), min_size=0, max_size=400
)
steps = st.builds(
    Step,
    outcome=st.sampled_from(["ok", "truncated", "garbage", "timeout", "429", "no-usage", "invalid"]),
    out_fraction=st.floats(0, 1),
    over_report=st.sampled_from([1, 1, 2, 50]),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    budget=st.decimals(min_value=Decimal("0"), max_value=Decimal("0.02"), places=6),
    script=st.lists(steps, max_size=20),
    texts=st.lists(dense_text, min_size=1, max_size=4, unique=True),
    tokenizer=st.booleans(),
)
def test_reservations_bound_every_call_and_spend_never_passes_max_cost(
    budget: Decimal, script: list[Step], texts: list[str], tokenizer: bool
) -> None:
    prices = PriceTable(Settings(_env_file=None).model_prices)
    ledger = MemoryLedger()
    provider = DenseProvider(ledger, prices, list(script), tokenizer)
    engine = SynthesisEngine(provider, prices, max_themes=1, max_attempts=3, backoff_seconds=0)
    governor = CostGovernor("a1", budget, ledger)
    honest = all(s.over_report == 1 and s.outcome not in ("timeout", "garbage", "no-usage") for s in script)

    async def run() -> None:
        for n, text in enumerate(texts):
            item = post(f"p{n}", "Invoices", text or "x")
            message = batch_message([ThemeBrief(1, text, [text], [Excerpt(item.body, item)])])
            try:
                await engine._call(message, AnalysisBudget(governor, MemoryCache()))
            except (BudgetExceededError, LlmCallError):
                continue

    asyncio.run(run())
    spent = sum(ledger.charged.values(), Decimal(0))
    assert spent <= budget
    assert not ledger.held  # every reservation was settled or given back
    # Each call's true cost fits the reservation made for it, in the densest script.
    assert all(true <= held for true, held in provider.true_costs)
    # The same paid request is never sent twice.
    assert len(set(provider.requests)) == len(provider.requests)
    if honest:
        assert spent == sum((true for true, _ in provider.true_costs), Decimal(0))
