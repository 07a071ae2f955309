"""Costs: price a call, hold a reservation against the budget, settle it, warn on thresholds.

The budget is a hard cap. A paid call first reserves the most it could cost (its token estimate
plus the most output it may produce); when the response comes back, the reservation is settled
at the real price. A reservation that would take spent + held past ``maxCost`` is refused, so an
analysis never spends more than its budget, whatever the provider returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal

from oppscout.core.contract import CostBreakdown
from oppscout.core.errors import BudgetExceededError
from oppscout.core.ports import Ledger, LedgerTotals
from oppscout.core.settings import ModelPrice, Settings
from oppscout.core.wording import usd

MILLION = Decimal(1_000_000)
CENT_FRACTION = Decimal("0.000001")


def _usd(value: Decimal) -> Decimal:
    # Round up to a millionth of a dollar so rounding never hides spend.
    return value.quantize(CENT_FRACTION, rounding=ROUND_UP)


class UnpricedModelError(BudgetExceededError):
    """A model has no price and the endpoint is not declared free, so its calls cannot be capped."""


def money(amount: Decimal) -> str:
    """Dollars with enough digits to show a tiny amount: $2.50, $0.0075, $0.000834 (never "$0.00" for spend)."""
    if amount == 0:
        return "$0"
    if abs(amount) >= 1:
        return f"${amount:.2f}"
    # Two significant digits, at least cents, trailing zeros past the cents dropped.
    digits = min(8, max(2, -abs(amount).adjusted() + 1))
    whole, _, fraction = f"{amount:.{digits}f}".partition(".")
    fraction = fraction.rstrip("0").ljust(2, "0")
    return f"${whole}.{fraction}"


def unpriced_note(model: str) -> str:
    """The one line that says why an unpriced model is not called, and the two ways to fix it."""
    return (
        f"The LLM was not used: the model '{model}' has no price, so its cost cannot be capped. "
        "Set OPPSCOUT_LLM_FREE=true for a free (local) server, or add its prices to OPPSCOUT_MODEL_PRICES."
    )


@dataclass(frozen=True)
class PriceTable:
    """USD prices of LLM models and of Reddit API calls.

    ``llm_free`` declares the LLM endpoint free (a local server): every model on it costs nothing.
    Otherwise a model missing from ``models`` is unpriced, a configuration state callers check with
    ``prices_model`` before calling it, never a crash in the middle of an analysis.
    """

    models: dict[str, ModelPrice]
    reddit_per_1000_calls: Decimal = Decimal("0")
    llm_free: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> PriceTable:
        """The prices the settings declare."""
        return cls(settings.model_prices, settings.reddit_price_per_1000_calls_usd, llm_free=settings.llm_free)

    def prices_model(self, model: str) -> bool:
        """Whether calls to ``model`` can be priced (it has a price, or the endpoint is free)."""
        return self.llm_free or model in self.models

    def llm_cost(self, model: str, tokens_in: int, tokens_out: int) -> Decimal:
        """What a call with these token counts costs; ``UnpricedModelError`` for an unpriced model."""
        if self.llm_free:
            return Decimal("0")
        price = self.models.get(model)
        if price is None:
            raise UnpricedModelError(unpriced_note(model))
        return _usd((price.input_per_million * tokens_in + price.output_per_million * tokens_out) / MILLION)

    def reddit_cost(self, calls: int) -> Decimal:
        """What this many Reddit API calls cost."""
        return _usd(self.reddit_per_1000_calls * calls / 1000)


@dataclass(frozen=True)
class CostWarning:
    """A spend level crossed by a settlement."""

    level: float
    message: str


@dataclass(frozen=True)
class Reservation:
    """Money held for one paid call until it is settled or released."""

    key: str
    amount: Decimal
    kind: str


class CostGovernor:
    """Holds one analysis to its budget through the ledger (the ledger is the truth)."""

    def __init__(
        self,
        analysis_id: str,
        budget: Decimal,
        ledger: Ledger,
        *,
        levels: Sequence[float] = (0.5, 0.8, 1.0),
        cost_threshold: Decimal | None = None,
    ) -> None:
        self.analysis_id = analysis_id
        self.budget = budget
        self._ledger = ledger
        self._levels = tuple(sorted(levels))
        self._threshold = cost_threshold

    async def totals(self) -> LedgerTotals:
        """Spent and held so far."""
        return await self._ledger.totals(self.analysis_id)

    async def can_afford(self, amount: Decimal) -> bool:
        """Whether a reservation of ``amount`` would be accepted now."""
        totals = await self.totals()
        return totals.spent + totals.reserved + amount <= self.budget

    async def reserve(self, key: str, amount: Decimal, kind: str) -> Reservation:
        """Hold ``amount`` for a call; raises BudgetExceededError when it does not fit.

        ``key`` identifies the call: reserving the same key again (a retried job) returns the
        existing reservation instead of holding the money twice.
        """
        amount = _usd(amount)
        accepted = await self._ledger.reserve(self.analysis_id, key, kind, amount, self.budget)
        if not accepted:
            totals = await self.totals()
            left = max(Decimal("0"), self.budget - totals.spent - totals.reserved)
            # Four places, not usd(): a refusal near the cap must not read "up to $0.10 but only $0.10 left".
            raise BudgetExceededError(
                f"This step would cost up to ${amount:.4f} but only ${left:.4f} of the {usd(self.budget)} budget is left."
            )
        return Reservation(key=key, amount=amount, kind=kind)

    async def settle(
        self, reservation: Reservation, actual: Decimal, *, tokens_in: int = 0, tokens_out: int = 0, calls: int = 0
    ) -> list[CostWarning]:
        """Record what the call really cost and return the warning levels this crossed.

        The charge is capped at the reservation: the reservation was the most the call could
        cost, so a provider reporting more is recorded at the held amount and never past the budget.
        """
        before = (await self.totals()).spent
        charged = min(_usd(actual), reservation.amount)
        await self._ledger.settle(
            self.analysis_id, reservation.key, charged, tokens_in=tokens_in, tokens_out=tokens_out, calls=calls
        )
        after = (await self.totals()).spent
        return self.crossed(before, after)

    async def release(self, reservation: Reservation) -> None:
        """Give back a reservation whose call never happened."""
        await self._ledger.release(self.analysis_id, reservation.key)

    def crossed(self, before: Decimal, after: Decimal) -> list[CostWarning]:
        """Warnings for every level passed when spend moved from ``before`` to ``after``."""
        warnings: list[CostWarning] = []
        if self.budget > 0:
            for level in self._levels:
                mark = self.budget * Decimal(str(level))
                if before < mark <= after:
                    warnings.append(
                        CostWarning(
                            level=level,
                            message=f"Spend reached {level:.0%} of the budget: {usd(after)} of {usd(self.budget)}.",
                        )
                    )
        if self._threshold is not None and before < self._threshold <= after:
            warnings.append(
                CostWarning(
                    level=-1.0,
                    message=f"Spend passed your cost alert of {usd(self._threshold)}: {usd(after)} so far.",
                )
            )
        return warnings

    async def breakdown(self) -> CostBreakdown:
        """The analysis's costs in contract form."""
        t = await self.totals()
        return CostBreakdown(
            total=t.spent,
            reddit_calls=t.reddit_calls,
            reddit_cost=t.reddit_cost,
            llm_tokens_in=t.tokens_in,
            llm_tokens_out=t.tokens_out,
            llm_cost=t.llm_cost,
            reserved=t.reserved,
            budget=self.budget,
        )
