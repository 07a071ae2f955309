"""Tokens and TF-IDF vectors for grouping similar complaints."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from itertools import pairwise

WORD = re.compile(r"[a-z][a-z0-9']+")
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "can't",
        "cannot",
        "could",
        "couldn't",
        "did",
        "didn't",
        "do",
        "does",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "get",
        "got",
        "had",
        "hadn't",
        "has",
        "hasn't",
        "have",
        "haven't",
        "having",
        "he",
        "he'd",
        "he'll",
        "he's",
        "her",
        "here",
        "here's",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "how's",
        "i",
        "i'd",
        "i'll",
        "i'm",
        "i've",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "just",
        "let's",
        "like",
        "me",
        "more",
        "most",
        "mustn't",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "really",
        "same",
        "shan't",
        "she",
        "she'd",
        "she'll",
        "she's",
        "should",
        "shouldn't",
        "so",
        "some",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "there's",
        "these",
        "they",
        "they'd",
        "they'll",
        "they're",
        "they've",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "wasn't",
        "we",
        "we'd",
        "we'll",
        "we're",
        "we've",
        "were",
        "weren't",
        "what",
        "what's",
        "when",
        "when's",
        "where",
        "where's",
        "which",
        "while",
        "who",
        "who's",
        "whom",
        "why",
        "why's",
        "will",
        "with",
        "won't",
        "would",
        "wouldn't",
        "you",
        "you'd",
        "you'll",
        "you're",
        "you've",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "im",
        "ive",
        "dont",
        "cant",
        "thats",
        "lol",
        "yeah",
        "yes",
        "anyone",
        "anybody",
        "everyone",
        "someone",
        "something",
        "anything",
        "thing",
        "things",
        "stuff",
        "lot",
        "lots",
        "much",
        "many",
        "even",
        "still",
        "one",
        "two",
        "now",
        "every",
        "back",
        "know",
        "think",
        "want",
        "need",
        "make",
        "made",
        "go",
        "going",
        "gonna",
        "use",
        "using",
        "used",
        "way",
        "well",
        "good",
        "great",
        "actually",
        "literally",
        "pretty",
        "kind",
        "sort",
        "time",
        "year",
        "years",
        "month",
        "months",
        "week",
        "weeks",
        "day",
        "days",
        "today",
        "guys",
        "people",
        "help",
        "thanks",
        "thank",
        "edit",
        "post",
        "reddit",
        "sub",
    ]
)


def stem(word: str) -> str:
    """A light suffix strip so 'invoices', 'invoicing' and 'invoice' meet."""
    for suffix in ("ing", "ers", "er", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word.rstrip("e") if len(word) > 4 else word


def tokens(text: str) -> list[str]:
    """Content words of ``text``, lower-cased and stemmed."""
    return [stem(w) for w in WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 2]


def bigrams(text: str) -> list[str]:
    """Adjacent content-word pairs, as written (lower case, not stemmed), for naming themes."""
    words = [w for w in WORD.findall(text.lower()) if len(w) > 2]
    return [f"{a} {b}" for a, b in pairwise(words) if a not in STOPWORDS and b not in STOPWORDS]


Vector = dict[str, float]


def idf(documents: Iterable[list[str]]) -> dict[str, float]:
    """Inverse document frequency of each token."""
    docs = list(documents)
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(set(doc))
    n = len(docs)
    return {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}


def tfidf(doc: list[str], weights: dict[str, float]) -> Vector:
    """A unit-length TF-IDF vector."""
    counts = Counter(doc)
    vec = {t: (1 + math.log(c)) * weights.get(t, 1.0) for t, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {t: v / norm for t, v in vec.items()}


def cosine(a: Vector, b: Vector) -> float:
    """Cosine similarity of two vectors (``a`` unit-length, ``b`` any length)."""
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(t, 0.0) for t, v in a.items())
    norm_b = math.sqrt(sum(v * v for v in b.values())) or 1.0
    return dot / norm_b


def add_into(target: Vector, vec: Vector, factor: float = 1.0) -> None:
    """``target += factor * vec``."""
    for t, v in vec.items():
        target[t] = target.get(t, 0.0) + v * factor
