"""Numbers as people type and say them: "2", "2.5", "two", "seventy five", "eighty-five", "a couple"."""

from __future__ import annotations

import re

MAX_NUMBER = 1e12
"""Every number is read as at most this: larger ones only ever mean "too much", and bounding them keeps dates,
money and JSON finite. Callers compare against their own limits and answer with a friendly one."""
MAX_INTEGER_DIGITS = 13

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
# Words that stand for a number only in front of a unit ("a week", "a couple of days").
ARTICLES = {"a": 1, "an": 1, "couple": 2, "a couple": 2, "a couple of": 2, "couple of": 2, "few": 3, "a few": 3}

_unit = "|".join(sorted(UNITS, key=len, reverse=True))
_tens = "|".join(TENS)
WORD_NUMBER = rf"(?:(?:{_tens})(?:[\s-](?:{_unit}))?|(?:{_unit})|(?:one |a )?hundred)"
# Thousands separators only in groups of three ("1,000,000"), so "2,3" in a list stays two numbers.
DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
NUMBER = rf"(?:{DIGITS}|{WORD_NUMBER})"
"""A regex fragment matching one number in digits or words (no capture group)."""
COUNT = rf"(?:{NUMBER}|a couple(?: of)?|couple(?: of)?|a few|few|an?)"
"""A number, or a word that counts things ("a", "a couple of", "a few"): for "last two weeks", "past a few days"."""

_WORD_RX = re.compile(rf"^(?:(?P<tens>{_tens})(?:[\s-](?P<unit>{_unit}))?|(?P<only>{_unit}))$", re.IGNORECASE)


def to_number(token: str) -> float:
    """The value of a NUMBER or COUNT match. Raises ValueError for anything else."""
    word = " ".join(token.lower().replace("-", " ").split())
    if word in ARTICLES:
        return float(ARTICLES[word])
    if word in ("hundred", "one hundred", "a hundred"):
        return 100.0
    if re.fullmatch(DIGITS, word):
        whole = word.replace(",", "").partition(".")[0]
        # Converting a 5,000-digit run exactly is slow and its value is only "too large": cap it first.
        if len(whole.lstrip("0")) > MAX_INTEGER_DIGITS:
            return MAX_NUMBER
        return min(float(word.replace(",", "")), MAX_NUMBER)
    match = _WORD_RX.match(word)
    if not match:
        raise ValueError(f"not a number: {token!r}")
    if match.group("only"):
        return float(UNITS[match.group("only")])
    return float(TENS[match.group("tens")] + (UNITS[match.group("unit")] if match.group("unit") else 0))
