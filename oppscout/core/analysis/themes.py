"""Grouping: threads voicing the same problem become one theme, named by its most distinctive phrases.

A comment is read in the light of its thread: "same, it's a nightmare" is about the post's topic.
So the unit of grouping is the thread (a post and its signal-bearing comments), not the item,
and a theme is a set of threads. Grouping is a single pass over the threads, strongest first,
against theme centroids found through an inverted index, followed by a merge of near-duplicate
themes; that keeps it near-linear on large inputs.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from oppscout.core.analysis.signals import Signal, SignalKind, strength
from oppscout.core.analysis.text import (
    SYNONYMS,
    Vector,
    add_into,
    dot,
    idf,
    phrases,
    stem,
    tfidf,
    top_terms,
    topic_tokens,
    words,
)
from oppscout.core.corpus import ItemKind, RedditItem

# Below this similarity to every theme, a thread starts a theme of its own.
JOIN_THRESHOLD = 0.2
# Two themes whose centroids are at least this similar are one theme found twice.
MERGE_THRESHOLD = 0.23
# A title says what a thread is about more densely than its body: its words count this often.
TITLE_WEIGHT = 3
CENTROID_TERMS = 60
# How much the comments of a thread count beside its post when placing the thread.
TALK_WEIGHT = 0.5
# Words in more than this share of threads are too common to tell problems apart.
COMMON_SHARE = 0.3
MERGE_CANDIDATES = 300


@dataclass
class Evidence:
    """An item with product signals, ready for grouping."""

    item: RedditItem
    signals: list[Signal]

    @property
    def strength(self) -> float:
        """Weighted signal strength."""
        return strength(self.signals)

    def has(self, kind: SignalKind) -> bool:
        """Whether the item carries a signal of ``kind``."""
        return any(s.kind == kind for s in self.signals)


@dataclass
class Thread:
    """A post and its comments that carry signals (the post itself may carry none)."""

    key: str
    post: RedditItem | None
    evidence: list[Evidence] = field(default_factory=list)
    vector: Vector = field(default_factory=dict)

    @property
    def weight(self) -> float:
        """How strongly the thread voices a problem: signals plus engagement."""
        engagement = (self.post.score + self.post.num_comments) if self.post else 0
        return sum(e.strength for e in self.evidence) + math.log1p(max(0, engagement))

    def text(self) -> str:
        """What the thread is about: the post's title and body and its evidence."""
        parts = [self.post.text] if self.post else []
        parts += [e.item.text for e in self.evidence if self.post is None or e.item.reddit_id != self.post.reddit_id]
        return "\n".join(parts)


@dataclass
class Theme:
    """A group of threads voicing the same problem."""

    threads: list[Thread] = field(default_factory=list)
    total: Vector = field(default_factory=dict)
    centroid: Vector = field(default_factory=dict)
    phrases: list[str] = field(default_factory=list)
    phrase_keys: list[str] = field(default_factory=list)
    # The theme's centre in sentence-embedding space, when it was found by meaning (``clusters``).
    vector: npt.NDArray[np.float32] | None = None
    # The name and the problem sentence chosen by ``naming`` (empty: fall back to the phrases).
    title: str = ""
    problem: str = ""
    # Its pain sentences, most telling first: (rank, verbatim sentence, the item it is from).
    ranked: list[tuple[float, str, RedditItem]] = field(default_factory=list)

    def add(self, thread: Thread) -> None:
        """Put a thread in the theme and refresh the centroid."""
        self.threads.append(thread)
        add_into(self.total, thread.vector)
        self.centroid = top_terms(self.total, CENTROID_TERMS)

    def absorb(self, other: Theme) -> None:
        """Take over every thread of ``other``."""
        self.threads.extend(other.threads)
        add_into(self.total, other.total)
        self.centroid = top_terms(self.total, CENTROID_TERMS)

    @property
    def members(self) -> list[Evidence]:
        """Every item with signals in the theme."""
        return [e for t in self.threads for e in t.evidence]

    @property
    def authors(self) -> set[str]:
        """Distinct people voicing the theme's signals."""
        return {m.item.author.lower() for m in self.members}


def threads_of(evidence: list[Evidence], posts: dict[str, RedditItem]) -> list[Thread]:
    """Evidence grouped by thread, each thread with its TF-IDF vector."""
    by_key: dict[str, Thread] = {}
    for ev in evidence:
        key = (ev.item.post_id or ev.item.reddit_id) if ev.item.kind == ItemKind.COMMENT else ev.item.reddit_id
        thread = by_key.get(key)
        if thread is None:
            thread = by_key[key] = Thread(key=key, post=posts.get(key))
        thread.evidence.append(ev)
    threads = list(by_key.values())
    post_docs, talk_docs = [], []
    for thread in threads:
        head = topic_tokens(thread.post.title) * TITLE_WEIGHT + topic_tokens(thread.post.body) if thread.post else []
        talk = [e for e in thread.evidence if thread.post is None or e.item.reddit_id != thread.post.reddit_id]
        said = " ".join(s.sentence for e in thread.evidence for s in e.signals)
        # The sentences carrying signals say what hurts; they count again on top of the whole text.
        post_docs.append(head + topic_tokens(said))
        talk_docs.append([t for e in talk for t in topic_tokens(e.item.text)])
    weights = idf([p + t for p, t in zip(post_docs, talk_docs, strict=True)])
    df_limit = max(3, int(len(threads) * COMMON_SHARE))
    shared = {
        t for t, w in _df([p + t for p, t in zip(post_docs, talk_docs, strict=True)]).items() if 2 <= w <= df_limit
    }
    for thread, post_doc, talk_doc in zip(threads, post_docs, talk_docs, strict=True):
        # A word found in one thread only cannot link it to another, but would dilute every
        # similarity of that thread; a word in most threads links everything to everything.
        # The post says what the thread is about; comments drift, so they count for less.
        vector = tfidf([t for t in post_doc if t in shared], weights)
        add_into(vector, tfidf([t for t in talk_doc if t in shared], weights), TALK_WEIGHT)
        thread.vector = top_terms(vector, CENTROID_TERMS)
    return threads


def _df(docs: list[list[str]]) -> Counter[str]:
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(set(doc))
    return df


def _closest(vector: Vector, themes: list[Theme], index: dict[str, set[int]]) -> tuple[int, float]:
    # Dot products accumulated term by term through the index: only themes sharing a term with
    # the thread are touched, and each shared term once, instead of every candidate's centroid.
    scores: dict[int, float] = defaultdict(float)
    for term, weight in vector.items():
        for i in index.get(term, ()):
            centroid_weight = themes[i].centroid.get(term)
            if centroid_weight:
                scores[i] += weight * centroid_weight
    if not scores:
        return -1, 0.0
    best = min(scores, key=lambda i: (-scores[i], i))
    return best, scores[best]


def group(evidence: list[Evidence], posts: dict[str, RedditItem]) -> list[Theme]:
    """Themes of the evidence, each seeded by its clearest thread, named by distinctive phrases."""
    threads = threads_of(evidence, posts)
    themes: list[Theme] = []
    index: dict[str, set[int]] = defaultdict(set)
    for thread in sorted(threads, key=lambda t: (-t.weight, t.key)):
        best, sim = _closest(thread.vector, themes, index)
        if best < 0 or sim < JOIN_THRESHOLD:
            themes.append(Theme())
            best = len(themes) - 1
        themes[best].add(thread)
        for term in themes[best].centroid:
            index[term].add(best)
    themes = _merge(themes)
    name(themes)
    before = len(themes)
    themes = _merge_namesakes(themes)
    if len(themes) < before:
        name(themes)
    return themes


def _namesakes(a: list[str], b: list[str]) -> bool:
    shared = set(a[:2]) & set(b[:2])
    return bool(shared) and (a[0] in shared or b[0] in shared)


def _merge_namesakes(themes: list[Theme]) -> list[Theme]:
    # Two themes whose names share their leading phrase ("failed payments") are one problem
    # that the vocabulary of their threads split; the bigger one takes the smaller.
    ranked = sorted(themes, key=lambda t: (-len(t.authors), -len(t.threads)))
    kept: list[Theme] = []
    for theme in ranked:
        target = next((k for k in kept if _namesakes(theme.phrase_keys, k.phrase_keys)), None)
        if target is None:
            kept.append(theme)
        else:
            target.absorb(theme)
    return kept


def _merge(themes: list[Theme]) -> list[Theme]:
    # The single pass can split one problem when two threads about it arrive before either
    # has pulled the centroid its way; merging similar centroids afterwards repairs that.
    ranked = sorted(themes, key=lambda t: (-len(t.authors), -len(t.threads)))
    head, tail = ranked[:MERGE_CANDIDATES], ranked[MERGE_CANDIDATES:]
    merged: list[Theme] = []
    for theme in head:
        target = max(merged, key=lambda m: dot(theme.centroid, m.centroid), default=None)
        if target is not None and dot(theme.centroid, target.centroid) >= MERGE_THRESHOLD:
            target.absorb(theme)
        else:
            merged.append(theme)
    return merged + tail


def _relevance(key: str, centroid: Vector) -> float:
    return sum(centroid.get(SYNONYMS.get(part, part), 0.0) for part in key.split())


def name(themes: list[Theme]) -> None:
    """Give each theme up to three phrases: frequent in it, rare elsewhere, and about its core words."""
    corpus: Counter[str] = Counter()
    per_theme: list[tuple[Counter[str], dict[str, Counter[str]]]] = []
    spread: list[dict[str, set[str]]] = []
    for theme in themes:
        users: dict[str, set[str]] = defaultdict(set)
        threads: dict[str, set[str]] = defaultdict(set)
        spread.append(threads)
        spellings: dict[str, Counter[str]] = defaultdict(Counter)
        for thread in theme.threads:
            texts = [(thread.post.author.lower(), thread.post.text)] if thread.post else []
            texts += [(e.item.author.lower(), e.item.text) for e in thread.evidence if e.item is not thread.post]
            for author, text in texts:
                for key, surface in phrases(text).items():
                    users[key].add(author)
                    threads[key].add(thread.key)
                    spellings[key][surface] += 1
        counts = Counter({k: len(v) for k, v in users.items()})
        corpus.update(counts)
        per_theme.append((counts, spellings))
    for theme, (counts, spellings), threads in zip(themes, per_theme, spread, strict=True):
        # Distinctive (said by many here, few elsewhere) and central (made of the centroid's
        # heaviest words): "late payments" rather than "calendar reminders" for invoice chasing.
        ranked = sorted(
            ((n * n / corpus[p] * (0.2 + _relevance(p, theme.centroid)), p) for p, n in counts.items() if n >= 2),
            key=lambda x: (-x[0], x[1]),
        )
        chosen: list[str] = []
        used: set[str] = set()
        for _, key in ranked:
            stems = set(key.split())
            if stems & used:
                continue
            used |= stems
            chosen.append(key)
            if len(chosen) == 3:
                break
        # The chosen phrase heard in the most threads leads the name: it is what the theme is about.
        chosen.sort(key=lambda k: (-len(threads[k]), -counts[k], -_relevance(k, theme.centroid)))
        if len(chosen) < 2:
            # Too few recurring phrases (a small theme): add the phrases said once that are most
            # about the theme's core words, those in a post title first ("Stripe froze").
            titles = [t.post.title for t in theme.threads if t.post is not None]
            # Where a phrase first appears in a title: titles lead with their subject.
            in_title: dict[str, int] = {}
            for title in titles:
                for key, surface in phrases(title).items():
                    in_title.setdefault(key, title.find(surface))
            once = sorted(
                (k for k in counts if counts[k] == 1 and _relevance(k, theme.centroid) > 0),
                key=lambda k: (in_title.get(k, 10_000), -_relevance(k, theme.centroid), k),
            )
            for key in once:
                stems = set(key.split())
                if not stems & used:
                    used |= stems
                    chosen.append(key)
                if len(chosen) == 2:
                    break
        theme.phrase_keys = chosen
        theme.phrases = [spellings[k].most_common(1)[0][0] for k in chosen] or _fallback(theme)


def _fallback(theme: Theme) -> list[str]:
    # No phrase recurs: name the theme by its two heaviest words, spelled as people wrote them.
    spelled: dict[str, Counter[str]] = defaultdict(Counter)
    for m in theme.members:
        for w in words(m.item.text):
            spelled[SYNONYMS.get(stem(w), stem(w))][w] += 1
    heaviest = sorted(theme.centroid, key=lambda t: (-theme.centroid[t], t))[:2]
    return [spelled[t].most_common(1)[0][0] if spelled.get(t) else t for t in heaviest]
