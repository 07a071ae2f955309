"""Grouping: similar complaints become one theme, named by its most distinctive phrases."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from oppscout.core.analysis.signals import Signal, SignalKind, strength
from oppscout.core.analysis.text import Vector, add_into, bigrams, cosine, idf, tfidf, tokens
from oppscout.core.corpus import ItemKind, RedditItem

# Below this similarity to every theme, an item starts a theme of its own.
JOIN_THRESHOLD = 0.16
# A comment borrows some of its post's words: "same, it's a nightmare" is about the post's topic.
POST_CONTEXT_WEIGHT = 0.6


@dataclass
class Evidence:
    """An item with product signals, ready for grouping."""

    item: RedditItem
    signals: list[Signal]
    vector: Vector = field(default_factory=dict)

    @property
    def strength(self) -> float:
        """Weighted signal strength."""
        return strength(self.signals)

    def has(self, kind: SignalKind) -> bool:
        """Whether the item carries a signal of ``kind``."""
        return any(s.kind == kind for s in self.signals)


@dataclass
class Theme:
    """A group of items voicing the same problem."""

    members: list[Evidence] = field(default_factory=list)
    centroid: Vector = field(default_factory=dict)
    phrases: list[str] = field(default_factory=list)

    def add(self, evidence: Evidence) -> None:
        """Put an item in the theme."""
        self.members.append(evidence)
        add_into(self.centroid, evidence.vector)

    @property
    def authors(self) -> set[str]:
        """Distinct people in the theme."""
        return {m.item.author.lower() for m in self.members}


def _vectors(evidence: list[Evidence], posts: dict[str, RedditItem]) -> None:
    docs: list[list[str]] = []
    for ev in evidence:
        doc = tokens(ev.item.text)
        docs.append(doc)
    weights = idf(docs)
    for ev, doc in zip(evidence, docs, strict=True):
        ev.vector = tfidf(doc, weights)
        post = posts.get(ev.item.post_id or "")
        if ev.item.kind == ItemKind.COMMENT and post is not None:
            add_into(ev.vector, tfidf(tokens(post.title), weights), POST_CONTEXT_WEIGHT)


def group(evidence: list[Evidence], posts: dict[str, RedditItem]) -> list[Theme]:
    """Greedy grouping, strongest evidence first, so each theme is seeded by a clear complaint."""
    _vectors(evidence, posts)
    themes: list[Theme] = []
    for ev in sorted(evidence, key=lambda e: (-e.strength, e.item.reddit_id)):
        best, best_sim = None, 0.0
        for theme in themes:
            sim = cosine(ev.vector, theme.centroid)
            if sim > best_sim:
                best, best_sim = theme, sim
        if best is not None and best_sim >= JOIN_THRESHOLD:
            best.add(ev)
        else:
            theme = Theme()
            theme.add(ev)
            themes.append(theme)
    _name(themes)
    return themes


def _name(themes: list[Theme]) -> None:
    corpus: Counter[str] = Counter()
    per_theme: list[Counter[str]] = []
    for theme in themes:
        counts: Counter[str] = Counter()
        for m in theme.members:
            counts.update(set(bigrams(m.item.text)))
        per_theme.append(counts)
        corpus.update(counts)
    for theme, counts in zip(themes, per_theme, strict=True):
        # Distinctive = frequent here, rare elsewhere; a phrase must recur to name a theme.
        ranked = sorted(
            ((n * n / corpus[p], p) for p, n in counts.items() if n >= 2),
            key=lambda x: (-x[0], x[1]),
        )
        phrases: list[str] = []
        for _, phrase in ranked:
            if not any(set(phrase.split()) & set(p.split()) for p in phrases):
                phrases.append(phrase)
            if len(phrases) == 3:
                break
        if not phrases:
            top = Counter(t for m in theme.members for t in set(tokens(m.item.title or m.item.body)))
            phrases = [w for w, _ in top.most_common(2)]
        theme.phrases = phrases
