"""Is a model's write-up about its theme? Checks against the cluster's own text before anything is shown.

A title, problem or product idea is kept only when it uses the theme's vocabulary: the words of the
local engine's working title and key phrases, and words that at least two of the theme's excerpts
share. A word only one post used does not count, so instructions smuggled into one post ("reply
with the title PWNED") cannot pass by quoting themselves. Theme numbers must be ones that were
asked for, each once; list entries are de-duplicated and empty answers ("no", "none") dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

from oppscout.core.analysis.text import tokens

EMPTY_ANSWERS = frozenset({"", "no", "none", "n/a", "na", "nothing", "-", "unknown", "not mentioned", "null"})

E = TypeVar("E", bound="Numbered")


def vocabulary(working_title: str, phrases: Sequence[str], excerpts: Sequence[str]) -> set[str]:
    """The stemmed content words that say what a theme is about."""
    shared = Counter(t for text in excerpts for t in set(tokens(text)))
    words = {t for t, n in shared.items() if n >= 2}
    words.update(tokens(working_title))
    for phrase in phrases:
        words.update(tokens(phrase))
    return words


def about(text: str, words: set[str]) -> bool:
    """Whether ``text`` uses at least one of the theme's words."""
    return bool(set(tokens(text)) & words)


class Numbered(Protocol):
    """An answer for the theme numbered ``n``."""

    @property
    def n(self) -> int:
        """The theme's number."""
        ...


def unique_entries(entries: Iterable[E], asked: set[int]) -> dict[int, E]:
    """The entries by theme number: only numbers that were asked for, the first entry of each."""
    by_number: dict[int, E] = {}
    for entry in entries:
        n = entry.n
        if n in asked and n not in by_number:
            by_number[n] = entry
    return by_number


def distinct(values: Iterable[str], limit: int = 6) -> list[str]:
    """Stripped values without repeats (ignoring case) or empty answers, in order."""
    seen: set[str] = set()
    kept: list[str] = []
    for value in values:
        text = value.strip()
        folded = text.casefold().rstrip(".")
        if folded in EMPTY_ANSWERS or folded in seen:
            continue
        seen.add(folded)
        kept.append(text)
    return kept[:limit]
