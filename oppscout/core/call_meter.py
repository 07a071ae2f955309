"""Paid source calls (Reddit's API), reserved one by one before they are made and keyed by what they buy.

A source hands every request it is about to send to ``PaidCallMeter.reserve`` with a description of
what it buys (method, URL and parameters). The meter holds that call's price in the ledger first, so
a call the budget cannot pay for is never made, then settles it once the answer (or the failure)
is back: Reddit counts a failed request too. The ledger key is the description, numbered by how
often this stage asked for the same thing, so a retried stage that asks again for the same page
finds its reservation (or charge) already there and pays nothing twice; a fresh retry of a failed
request within one run is a new, numbered call and is paid.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from decimal import Decimal

from oppscout.core.contract import Stage
from oppscout.core.costs import CostGovernor, CostWarning, Reservation

KIND = "reddit"


def call_key(stage: Stage, what: str, occurrence: int) -> str:
    """The ledger key of the ``occurrence``-th call for ``what`` in a stage (short: keys are 128 chars)."""
    digest = hashlib.sha256(what.encode()).hexdigest()[:24]
    return f"reddit:{stage.value}:{digest}:{occurrence}"


class PaidCallMeter:
    """Reserves, then settles, each paid call of one stage of one analysis."""

    def __init__(self, governor: CostGovernor, price_per_call: Decimal, stage: Stage) -> None:
        self.governor = governor
        self.price = price_per_call
        self.stage = stage
        self.calls = 0
        self.warnings: list[CostWarning] = []
        self._seen: Counter[str] = Counter()

    async def reserve(self, what: str) -> Reservation:
        """Hold the price of one call; raises BudgetExceededError when the budget cannot pay for it."""
        self._seen[what] += 1
        key = call_key(self.stage, what, self._seen[what])
        return await self.governor.reserve(key, self.price, KIND)

    async def settle(self, reservation: Reservation) -> None:
        """The call was sent: charge it (and count it), keeping the warning levels it crossed."""
        self.calls += 1
        self.warnings += await self.governor.settle(reservation, reservation.amount, calls=1)
