"""Relevance by meaning: which items a keyword selects, by word forms and by what they say.

A keyword is matched by morphology first: "invoicing" finds invoice, invoices and invoiced (the
Snowball English stemmer, plus "-ment" nouns meeting their verb: "payments" finds "paying"). A
phrase matches when each of its words appears in some form ("late payments" finds "clients paying
me 60 days late"). Items that share no form are kept when their sentence embedding is close to the
keyword's. Sources use ``lucene_query`` so Reddit's own search already carries the variants.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import snowballstemmer

from oppscout.core.analysis.encoder import bundled_encoder
from oppscout.core.corpus import ItemKind, RedditItem

_STEMMER = snowballstemmer.stemmer("english")
_WORD = re.compile(r"[a-z][a-z0-9']*")
# Words that only glue a phrase together; a phrase matches on the others.
GLUE = frozenset(
    ["a", "an", "the", "of", "for", "to", "in", "on", "at", "and", "or", "with", "my", "our", "your", "their"]
)
# Embedding similarity at which an item is about the keyword though it shares no word form.
MEANING_SIMILARITY = 0.45
# Reddit rejects long queries; variants beyond this are left to the local filter.
MAX_QUERY_CHARS = 480


@cache
def stem(word: str) -> str:
    """The Snowball stem of one lower-case word."""
    return str(_STEMMER.stemWord(word))


def _bases(word: str) -> set[str]:
    # "payments" → {"payment", "pay"}: a noun in -ment meets its verb.
    found = {stem(word)}
    for suffix in ("ments", "ment"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            found.add(stem(word[: -len(suffix)]))
    return found


def _lemma(word: str) -> str:
    # English inflection undone by rule: invoicing → invoice, paying → pay, charged → charge.
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            root = word[: -len(suffix)]
            if len(root) >= 2 and root[-1] == root[-2] and root[-1] not in "sl":
                return root[:-1]  # stopped → stop
            keeps_e = root[-1] in "cgvzu" or (root[-1] == "s" and root[-2] in "aeiou")
            return root + "e" if keeps_e else root
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _inflections(lemma: str) -> list[str]:
    plural = lemma + "es" if lemma.endswith(("s", "x", "ch", "sh")) else lemma + "s"
    if lemma.endswith("y") and len(lemma) > 2 and lemma[-2] not in "aeiou":
        plural, past = lemma[:-1] + "ies", lemma[:-1] + "ied"
    else:
        past = lemma + "d" if lemma.endswith("e") else lemma + "ed"
    ing = lemma[:-1] + "ing" if lemma.endswith("e") and not lemma.endswith("ee") else lemma + "ing"
    return [lemma, plural, past, ing]


def word_variants(word: str) -> list[str]:
    """Forms of ``word`` that share its stem: invoicing → invoice, invoices, invoiced; payments → paying…"""
    word = word.lower()
    bases = _bases(word)
    lemmas = [_lemma(word)]
    forms = [word]
    for suffix in ("ments", "ment"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            noun = word.removesuffix("s")
            forms += [f for f in (noun, noun + "s") if f != word]
            lemmas = [word[: -len(suffix)]]
            break
    for lemma in lemmas:
        for form in _inflections(lemma):
            if form not in forms and (stem(form) in bases or _bases(form) & bases):
                forms.append(form)
    return forms


def keyword_words(keyword: str) -> list[str]:
    """The words of a keyword that must each match (glue words dropped)."""
    words = _WORD.findall(keyword.lower())
    return [w for w in words if w not in GLUE] or words


def lucene_query(keywords: Sequence[str]) -> str:
    """Keywords in Reddit's Lucene syntax: each word as an OR of its forms, a phrase's words ANDed."""
    clauses = []
    for keyword in keywords:
        words = keyword_words(keyword)
        if not words:
            continue
        parts = ["(" + " OR ".join(f'"{f}"' for f in word_variants(w)[:8]) + ")" for w in words]
        clauses.append(parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")")
    query = " OR ".join(clauses)
    if len(query) > MAX_QUERY_CHARS:
        # Too long for Reddit: the words as written, each with its stem's commonest forms left to the filter.
        query = " OR ".join('"' + k.replace('"', " ").strip() + '"' for k in keywords)
    return query


def lexical_match(text: str, keywords: Sequence[str]) -> bool:
    """Whether every word of some keyword appears in ``text`` in one of its forms."""
    stems = {stem(w) for w in _WORD.findall(text.lower())}
    return any(all(_bases(w) & stems for w in keyword_words(k)) for k in keywords if keyword_words(k))


@dataclass(frozen=True)
class Selection:
    """The items a request's keywords select, and a sentence saying how many."""

    items: list[RedditItem]
    note: str


def select(items: Sequence[RedditItem], keywords: Sequence[str]) -> Selection:
    """Items about the keywords: by word form, by meaning, or in the thread of a post that is."""
    chosen: set[str] = {i.reddit_id for i in items if lexical_match(i.text, keywords)}
    others = [i for i in items if i.reddit_id not in chosen and (i.kind == ItemKind.POST or len(i.body.split()) >= 6)]
    if others:
        vectors = bundled_encoder().encode([i.text[:400] for i in others])
        wanted = bundled_encoder().encode(list(keywords))
        closest = (vectors @ wanted.T).max(axis=1)
        chosen |= {i.reddit_id for i, sim in zip(others, closest, strict=True) if sim >= MEANING_SIMILARITY}
    # A reply in a relevant thread ("same here") is about what its post is about.
    kept = [i for i in items if i.reddit_id in chosen or (i.kind == ItemKind.COMMENT and i.post_id in chosen)]
    posts = sum(1 for i in kept if i.kind == ItemKind.POST)
    said = ", ".join(f"“{k}”" for k in keywords)
    note = (
        f"{len(kept)} of {len(items)} items ({posts} posts, {len(kept) - posts} comments) matched {said}, "
        "by word form or by meaning."
    )
    return Selection(kept, note)
