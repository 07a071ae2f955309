"""Names a person would write: a whole phrase that names a theme's pain, and the sentences that state it.

Candidates are word spans people really wrote, inside one clause (no punctuation within, so never
"A / B" and never a cut word), starting and ending on a content word. A candidate must be said by
at least two of the theme's people, which also keeps words smuggled into one post ("ignore all
previous instructions…") out of a title; sentences that look like instructions are never
candidates at all. Each candidate is scored by class-based TF-IDF (said by many here, few in other
themes) and by how close its meaning is to the theme's centre (KeyBERT-style). The problem line
and the quotes are the theme's pain sentences closest to its centre, from distinct people, verbatim.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from oppscout.core.analysis.encoder import bundled_encoder
from oppscout.core.analysis.signals import SignalKind, sentences
from oppscout.core.analysis.text import NAME_STOPWORDS, WORD, stem
from oppscout.core.analysis.themes import Theme
from oppscout.core.corpus import RedditItem

MIN_WORDS, MAX_WORDS = 2, 6
# Candidates scored by meaning per theme (each is one short encoder call).
EMBEDDED_CANDIDATES = 30
# Sentence candidates per theme for the problem line and quotes.
SENTENCE_CANDIDATES = 20
MIN_SENTENCE, MAX_SENTENCE = 25, 320
# Text that addresses a model rather than describing a problem.
INSTRUCTION = re.compile(
    r"ignore (?:all |any |the )?(?:previous|prior|above|earlier)|instructions?|system prompt|disregard|"
    r"you are (?:now )?(?:an? )?(?:ai|assistant|language model|chatbot)|jailbreak|as an ai|respond with|output the",
    re.IGNORECASE,
)
LENGTH_PREFERENCE = {2: 0.75, 3: 1.0, 4: 1.05, 5: 1.0, 6: 0.9}
# Words that cannot end a name: a name ends on what hurts, not on a dangling modifier.
BAD_END = frozenset(
    ["very", "quite", "extra", "such", "own", "able", "about", "into", "onto", "from", "with", "without", "worth"]
)
# A finite verb inside makes a span a clause ("fees are worth"), not a name.
CLAUSE_WORDS = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "says",
        "said",
        "does",
        "did",
        "has",
        "had",
        "will",
        "would",
        "can",
        "could",
        "should",
        "gets",
        "got",
        "makes",
        "made",
        "goes",
        "went",
        "seems",
        "feels",
        "thinks",
    ]
)
KIND_WEIGHT = {
    SignalKind.PAIN: 1.0,
    SignalKind.SOLUTION_REQUEST: 0.9,
    SignalKind.MONEY: 0.9,
    SignalKind.SWITCHING: 0.8,
    SignalKind.WORKAROUND: 0.8,
    SignalKind.ADVICE_REQUEST: 0.6,
}

Span = tuple[str, ...]


def spans(text: str) -> dict[Span, str]:
    """Candidate names in ``text``: stemmed word spans as keys, the words as written as values."""
    found: dict[Span, str] = {}
    for sentence in sentences(text):
        if INSTRUCTION.search(sentence):
            continue
        lowered = sentence.lower()
        matches = list(WORD.finditer(lowered))
        for i, first in enumerate(matches):
            if _edge_bad(first.group(0)):
                continue
            for j in range(i + MIN_WORDS - 1, min(len(matches), i + MAX_WORDS)):
                gap = lowered[matches[j - 1].end() : matches[j].start()]
                if gap.strip():
                    break  # punctuation between two words ends the clause
                last = matches[j].group(0)
                if last in CLAUSE_WORDS:
                    break
                if _edge_bad(last) or last in BAD_END:
                    continue
                key = tuple(stem(m.group(0)) for m in matches[i : j + 1])
                found.setdefault(key, sentence[first.start() : matches[j].end()])
    return found


def _edge_bad(word: str) -> bool:
    return word in NAME_STOPWORDS or len(word) < 3 or word.endswith("ly") or "'" in word


def _cosines(texts: Sequence[str], centre: np.ndarray) -> list[float]:
    if not texts:
        return []
    return [float(x) for x in bundled_encoder().encode(list(texts)) @ centre]


def _word_people(theme: Theme) -> dict[str, set[str]]:
    people: dict[str, set[str]] = defaultdict(set)
    for m in theme.members:
        for w in WORD.findall(m.item.text.lower()):
            if w not in NAME_STOPWORDS:
                people[stem(w)].add(m.item.author.lower())
    return people


def name_themes(themes: Sequence[Theme], context: Sequence[Theme]) -> None:
    """Title, phrases, problem sentence and ranked sentences for each of ``themes``.

    ``context`` is every theme of the analysis: a word common to all of them names none.
    """
    per_theme = [_word_people(t) for t in context]
    frequency: Counter[str] = Counter()
    for people in per_theme:
        frequency.update({w: len(v) for w, v in people.items()})
    total = sum(len(t.authors) for t in context) or 1
    for theme in themes:
        words = per_theme[list(context).index(theme)]
        size = max(1, len(theme.authors))
        # Class-based TF-IDF of each word: said by many of this theme's people, few elsewhere.
        weight = {w: len(v) / size * math.log(1 + total / frequency[w]) for w, v in words.items()}
        _name(theme, {w: x for w, x in weight.items() if len(words[w]) >= 2})
        if not theme.title:
            # No span of recurring words: the theme's own words, said once, still beat no name.
            _name(theme, weight)
        _rank_sentences(theme)


def _name(theme: Theme, weight: dict[str, float]) -> None:
    scored: dict[Span, tuple[float, str]] = {}
    for m in theme.members:
        for key, surface in spans(m.item.text).items():
            content = [k for k, w in zip(key, WORD.findall(surface.lower()), strict=False) if w not in NAME_STOPWORDS]
            # Every content word must recur among the theme's people: a name is theirs, not one post's.
            if len(content) < 2 or any(k not in weight for k in content) or key in scored:
                continue
            value = sum(weight[k] for k in content) / len(content) * LENGTH_PREFERENCE[len(key)]
            scored[key] = (value, surface)
    shortlist = sorted(scored, key=lambda k: (-scored[k][0], k))[:EMBEDDED_CANDIDATES]
    surfaces = [scored[k][1] for k in shortlist]
    close = _cosines(surfaces, theme.vector) if theme.vector is not None else [0.5] * len(shortlist)
    # Meaning leads (the name must say what the theme is about); distinctiveness breaks near-ties.
    final = {k: math.sqrt(scored[k][0]) * max(0.0, c) ** 3 for k, c in zip(shortlist, close, strict=True)}
    ordered = sorted(shortlist, key=lambda k: (-final[k], k))
    chosen: list[str] = []
    used: set[str] = set()
    for k in ordered:
        if not set(k) & used and len(chosen) < 3:
            chosen.append(scored[k][1])
            used |= set(k)
    theme.phrases = chosen
    theme.phrase_keys = [" ".join(k) for k in ordered[:3]]
    theme.title = (chosen[0][:1].upper() + chosen[0][1:]) if chosen else ""


def _rank_sentences(theme: Theme) -> None:
    pool: list[tuple[float, str, RedditItem]] = []
    seen: set[str] = set()
    for m in theme.members:
        for s in m.signals:
            text = s.sentence
            if text in seen or not MIN_SENTENCE <= len(text) <= MAX_SENTENCE or INSTRUCTION.search(text):
                continue
            seen.add(text)
            pool.append((KIND_WEIGHT[s.kind], text, m.item))
    pool.sort(key=lambda c: (-c[0], c[2].reddit_id, c[1]))
    pool = pool[:SENTENCE_CANDIDATES]
    close = _cosines([c[1] for c in pool], theme.vector) if theme.vector is not None else [0.5] * len(pool)
    ranked = [(w * max(0.0, c), text, item) for (w, text, item), c in zip(pool, close, strict=True)]
    ranked.sort(key=lambda c: (-c[0], c[2].reddit_id, c[1]))
    theme.ranked = ranked
    theme.problem = ranked[0][1] if ranked else ""
