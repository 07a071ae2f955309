"""How numbers read in every interface: plurals, money and the honest empty result.

One helper so that Slack, Discord, the console and the worker's messages never say
"1 opportunities" or "budget $0.5" in one place and get it right in another.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def plural(count: int | float | Decimal, singular: str, plural_form: str | None = None) -> str:
    """``count`` with the noun in the right number: ``1 opportunity``, ``2 opportunities``, ``0 posts``.

    Without ``plural_form`` the plural is made by the usual English rules (``-y`` → ``-ies``,
    ``-s/-x/-ch/-sh`` → ``-es``, else ``-s``).
    """
    shown = f"{count:,}"
    if count == 1:
        return f"{shown} {singular}"
    return f"{shown} {plural_form or pluralize(singular)}"


def pluralize(noun: str) -> str:
    """The plural of a regular English noun (the nouns this service counts are regular)."""
    lower = noun.lower()
    if lower.endswith("y") and lower[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def usd(value: Decimal | float | int | str) -> str:
    """Money as people write it: ``$0.50``, ``$500.00``, ``$2.00``; below a cent four places (``$0.0042``)."""
    amount = Decimal(str(value))
    if amount != 0 and abs(amount) < CENT:
        return f"${amount.quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP)}"
    return f"${amount.quantize(CENT, rounding=ROUND_HALF_UP):,}"


EMPTY_RESULT = (
    "Nothing in that window stood out as a problem people want solved. Try a longer window or fewer keywords."
)
"""What an analysis that found nothing says under its heading."""


def opportunities_heading(count: int, where: str) -> str:
    """The heading of a summary, honest about how many were found: none, one, or the top ones."""
    if count == 0:
        return f"No opportunities found in {where}"
    if count == 1:
        return f"1 opportunity in {where}"
    return f"Top opportunities in {where}"
