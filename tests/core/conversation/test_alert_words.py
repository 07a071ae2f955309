"""How alert choices are read from a message, and what the parser is kept from reading."""

from __future__ import annotations

from decimal import Decimal

import pytest

from oppscout.core.conversation.alert_words import BOTH, DM, EMAIL, blank, read_alert_words


@pytest.mark.parametrize(
    ("text", "delivery", "address"),
    [
        ("watch r/SaaS and DM me above 70", DM, None),
        ("watch r/SaaS daily, by dm please", DM, None),
        ("watch r/SaaS and email me above 70", EMAIL, None),
        ("watch r/SaaS daily and email pat@example.com.", EMAIL, "pat@example.com"),
        ("watch r/SaaS, email me at pat.lee+alerts@mail.example.org", EMAIL, "pat.lee+alerts@mail.example.org"),
        ("watch r/SaaS and DM and email me", BOTH, None),
        ("both", BOTH, None),
        ("watch r/SaaS daily above 80", None, None),
    ],
)
def test_where_alerts_go(text: str, delivery: str | None, address: str | None) -> None:
    words = read_alert_words(text)
    assert (words.delivery, words.address) == (delivery, address)


def test_an_address_of_the_wrong_format_is_kept_apart_and_hidden_from_the_parser() -> None:
    text = "watch r/SaaS daily and email pat@example"
    words = read_alert_words(text)
    assert (words.address, words.bad_address) == (None, "pat@example")
    assert "pat" not in blank(text, words.spans)


@pytest.mark.parametrize(
    ("text", "amount", "percent"),
    [
        ("tell me when it has cost $1", Decimal("1"), None),
        ("let me know once spend reaches 50 cents", Decimal("0.5"), None),
        ("cost alert: $1.25", Decimal("1.25"), None),
        ("warn me at 80%", None, Decimal("80")),
        ("warn me when it hits 90 percent of the budget", None, Decimal("90")),
        ("alert me when the watch has cost 3 dollars this month", Decimal("3"), None),
    ],
)
def test_cost_alerts_and_the_budget_stays_the_parsers(
    text: str, amount: Decimal | None, percent: Decimal | None
) -> None:
    words = read_alert_words(f"r/SaaS last week budget $4, {text}")
    assert words.cost is not None
    assert (words.cost.amount, words.cost.percent) == (amount, percent)
    rest = blank(f"r/SaaS last week budget $4, {text}", words.spans)
    assert "$4" in rest and "tell" not in rest and "warn" not in rest


def test_a_score_threshold_is_no_cost_alert_and_a_share_past_100_is_refused() -> None:
    assert read_alert_words("DM me when an opportunity scores above 70, budget $3").cost is None
    words = read_alert_words("warn me at 150%")
    assert (words.cost, words.bad_cost) == (None, "150%")


def test_values_past_the_limits_are_kept_to_be_named() -> None:
    assert read_alert_words("alert me above 500").score_over == 500
    assert read_alert_words("alert me above 80").score_over is None
    assert read_alert_words("watch r/SaaS every 1 second").too_often == "every 1 second"
    assert read_alert_words("watch r/SaaS every 15 minutes").too_often == "every 15 minutes"
    assert read_alert_words("watch r/SaaS every 2 months").too_rare == "every 2 months"
    assert read_alert_words("watch r/SaaS every 3 weeks").too_rare is None
