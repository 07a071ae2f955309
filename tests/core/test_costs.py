"""Costs: reservations against the hard cap, settlement, idempotent keys and warnings."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from oppscout.core.costs import CostGovernor, PriceTable
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.ledger import SqlLedger
from oppscout.core.errors import BudgetExceededError
from oppscout.core.settings import ModelPrice
from tests.helpers import insert_analysis, make_request

PRICES = PriceTable(
    {"fake-model": ModelPrice(input_per_million=Decimal("1"), output_per_million=Decimal("4"))},
    reddit_per_1000_calls=Decimal("0.24"),
)


async def governor(database: Database, budget: str = "1.00", threshold: str | None = None) -> CostGovernor:
    req = make_request(max_cost=budget, cost_threshold=threshold)
    analysis_id = await insert_analysis(database, req)
    return CostGovernor(
        analysis_id, req.max_cost, SqlLedger(database), cost_threshold=req.notification_preferences.cost_threshold
    )


def test_price_table_prices_tokens_and_reddit_calls() -> None:
    assert PRICES.llm_cost("fake-model", 1_000_000, 0) == Decimal("1")
    assert PRICES.llm_cost("fake-model", 250_000, 125_000) == Decimal("0.75")
    assert PRICES.reddit_cost(1000) == Decimal("0.24")
    assert not PRICES.prices_model("mystery")
    with pytest.raises(BudgetExceededError, match="the model 'mystery' has no price"):
        PRICES.llm_cost("mystery", 1, 1)
    free = PriceTable({}, llm_free=True)
    assert free.prices_model("mystery") and free.llm_cost("mystery", 10**6, 10**6) == 0


async def test_a_priced_call_is_reserved_then_settled_at_its_real_cost(database: Database) -> None:
    gov = await governor(database)
    reservation = await gov.reserve("llm:theme-1", PRICES.llm_cost("fake-model", 100_000, 50_000), "llm")
    assert (await gov.totals()).reserved == Decimal("0.3")
    await gov.settle(reservation, PRICES.llm_cost("fake-model", 90_000, 20_000), tokens_in=90_000, tokens_out=20_000)
    totals = await gov.totals()
    assert (totals.spent, totals.reserved, totals.tokens_in, totals.tokens_out) == (
        Decimal("0.17"),
        Decimal(0),
        90_000,
        20_000,
    )
    breakdown = await gov.breakdown()
    assert breakdown.llm_cost == Decimal("0.17")
    assert breakdown.remaining == Decimal("0.83")


async def test_a_call_that_could_pass_the_budget_is_refused_before_it_is_made(database: Database) -> None:
    gov = await governor(database, budget="0.50")
    first = await gov.reserve("llm:1", Decimal("0.40"), "llm")
    with pytest.raises(BudgetExceededError, match=r"only \$0.1000 of the \$0.50 budget is left"):
        await gov.reserve("llm:2", Decimal("0.20"), "llm")
    await gov.settle(first, Decimal("0.30"))
    await gov.reserve("llm:2", Decimal("0.20"), "llm")
    assert (await gov.totals()).spent + (await gov.totals()).reserved == Decimal("0.50")


async def test_a_provider_reporting_more_than_reserved_is_charged_only_the_reservation(database: Database) -> None:
    gov = await governor(database, budget="0.10")
    reservation = await gov.reserve("llm:1", Decimal("0.10"), "llm")
    await gov.settle(reservation, Decimal("5.00"))
    assert (await gov.totals()).spent == Decimal("0.10")


async def test_a_retried_call_with_the_same_key_is_not_charged_twice(database: Database) -> None:
    gov = await governor(database)
    for _ in range(3):
        reservation = await gov.reserve("llm:theme-1", Decimal("0.20"), "llm")
        await gov.settle(reservation, Decimal("0.15"))
    assert (await gov.totals()).spent == Decimal("0.15")


async def test_a_released_reservation_gives_the_money_back(database: Database) -> None:
    gov = await governor(database, budget="0.20")
    reservation = await gov.reserve("llm:1", Decimal("0.20"), "llm")
    await gov.release(reservation)
    assert await gov.can_afford(Decimal("0.20"))


async def test_warnings_fire_once_at_50_80_and_100_percent_and_at_the_users_threshold(database: Database) -> None:
    gov = await governor(database, budget="1.00", threshold="0.30")
    seen: list[float] = []
    for i, amount in enumerate(["0.25", "0.30", "0.30", "0.15"]):
        reservation = await gov.reserve(f"llm:{i}", Decimal(amount), "llm")
        seen += [w.level for w in await gov.settle(reservation, Decimal(amount))]
    # 0.25 → 0.55 crosses the $0.30 alert and 50%; → 0.85 crosses 80%; → 1.00 reaches 100%.
    assert seen == [0.5, -1.0, 0.8, 1.0]


async def test_concurrent_reservations_never_overbook_the_budget(database: Database) -> None:
    gov = await governor(database, budget="1.00")

    async def attempt(i: int) -> bool:
        try:
            await gov.reserve(f"llm:{i}", Decimal("0.30"), "llm")
        except BudgetExceededError:
            return False
        return True

    accepted = await asyncio.gather(*(attempt(i) for i in range(8)))
    assert sum(accepted) == 3
    assert (await gov.totals()).reserved == Decimal("0.90")
