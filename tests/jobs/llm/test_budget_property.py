"""maxCost is never exceeded, whatever sequence of usage the provider reports."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oppscout.core.analysis.budget import AnalysisBudget, MemoryCache
from oppscout.core.analysis.engine import Excerpt
from oppscout.core.analysis.synthesis import ChatReply, LlmCallError, SynthesisEngine
from oppscout.core.costs import CostGovernor, PriceTable
from oppscout.core.errors import BudgetExceededError
from oppscout.core.ports import LedgerTotals
from oppscout.core.settings import Settings
from tests.core.analysis.builders import post

ANSWER = (
    '{"opportunities": [{"n": 1, "title": "T", "problem": "P", "who": "W", "willingness_to_pay": "none", '
    '"product_idea": "I", "confidence": 0.5}]}'
)


class MemoryLedger:
    """The Ledger port's rules (hold unless over budget; idempotent per key) in memory."""

    def __init__(self) -> None:
        self.held: dict[str, Decimal] = {}
        self.charged: dict[str, Decimal] = {}

    async def totals(self, analysis_id: str) -> LedgerTotals:
        return LedgerTotals(spent=sum(self.charged.values(), Decimal(0)), reserved=sum(self.held.values(), Decimal(0)))

    async def reserve(self, analysis_id: str, key: str, kind: str, amount: Decimal, budget: Decimal) -> bool:
        if key in self.held or key in self.charged:
            return True
        totals = await self.totals(analysis_id)
        if totals.spent + totals.reserved + amount > budget:
            return False
        self.held[key] = amount
        return True

    async def settle(
        self, analysis_id: str, key: str, actual: Decimal, *, tokens_in: int, tokens_out: int, calls: int
    ) -> None:
        if key in self.held:
            del self.held[key]
            self.charged[key] = actual

    async def release(self, analysis_id: str, key: str) -> None:
        self.held.pop(key, None)


class ScriptedChat:
    """Replies with the usage figures (or failures) it is given, in order."""

    model = "gpt-4o-mini"

    def __init__(self, usage: list[tuple[int, int] | None]) -> None:
        self.usage = list(usage)
        self.calls = 0

    async def complete(self, system: str, user: str, *, max_tokens: int, schema: dict[str, object]) -> ChatReply:
        self.calls += 1
        step = self.usage.pop(0) if self.usage else (500, 100)
        if step is None:
            raise LlmCallError("scripted 429", transient=True)
        return ChatReply(content=ANSWER, tokens_in=step[0], tokens_out=step[1])


usage_step = st.one_of(
    st.none(),
    st.tuples(st.integers(0, 200_000), st.integers(0, 50_000)),  # wildly over the estimate too
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    budget=st.decimals(min_value=Decimal("0"), max_value=Decimal("0.05"), places=6),
    usage=st.lists(usage_step, max_size=30),
    themes=st.integers(1, 8),
)
def test_spend_never_passes_max_cost(budget: Decimal, usage: list[tuple[int, int] | None], themes: int) -> None:
    prices = PriceTable(Settings(_env_file=None).model_prices)
    chat = ScriptedChat(usage)
    engine = SynthesisEngine(chat, prices, max_themes=themes, max_attempts=3, backoff_seconds=0)
    ledger = MemoryLedger()
    governor = CostGovernor("a1", budget, ledger)
    item = post("p1", "Invoices paid late", "I hate chasing late invoices.")

    async def run() -> None:
        for n in range(themes):
            try:
                await engine._call(
                    f"theme {n}: " + Excerpt(item.body, item).text, AnalysisBudget(governor, MemoryCache())
                )
            except (BudgetExceededError, LlmCallError):
                continue

    asyncio.run(run())
    spent = sum(ledger.charged.values(), Decimal(0))
    assert spent <= budget
    assert not ledger.held  # every reservation was settled or given back
