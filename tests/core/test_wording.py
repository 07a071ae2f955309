"""The one text helper: plurals, money and the honest heading of an empty result."""

from __future__ import annotations

from decimal import Decimal

import pytest

from oppscout.core.wording import opportunities_heading, plural, usd


@pytest.mark.parametrize(
    ("count", "noun", "said"),
    [(1, "opportunity", "1 opportunity"), (2, "opportunity", "2 opportunities"), (0, "post", "0 posts"),
     (1, "Reddit call", "1 Reddit call"), (1200, "post", "1,200 posts"), (3, "watch", "3 watches")],
)  # fmt: skip
def test_counts_take_the_right_number(count: int, noun: str, said: str) -> None:
    assert plural(count, noun) == said


@pytest.mark.parametrize(
    ("amount", "said"),
    [(Decimal("0.5"), "$0.50"), (Decimal("500.0"), "$500.00"), (0.5, "$0.50"), (Decimal("0"), "$0.00"),
     (Decimal("0.0042"), "$0.0042"), (Decimal("1234.5"), "$1,234.50"), ("2", "$2.00")],
)  # fmt: skip
def test_money_reads_as_dollars_and_cents(amount: Decimal | float | str, said: str) -> None:
    assert usd(amount) == said


def test_an_empty_result_is_not_headed_top_opportunities() -> None:
    assert opportunities_heading(0, "r/freelance") == "No opportunities found in r/freelance"
    assert opportunities_heading(1, "r/freelance") == "1 opportunity in r/freelance"
    assert opportunities_heading(4, "r/freelance") == "Top opportunities in r/freelance"
