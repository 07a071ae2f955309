"""Tokens, TF-IDF vectors and phrases for grouping similar complaints and naming the groups."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from itertools import pairwise

WORD = re.compile(r"[a-z][a-z0-9'-]*[a-z0-9]|[a-z]{2}")


def _words(text: str) -> frozenset[str]:
    # Long word lists read better as prose than as hundreds of one-word lines.
    return frozenset(text.split())


STOPWORDS = _words(
    "a about above actually after again against all also am an and any anybody anyone anything are "
    "aren't as at back be because been before being below between both but by can can't cannot cant "
    "could couldn't day days did didn't do does doesn't doing don't dont down during each edit even "
    "every everyone few for from further get go going gonna good got great guys had hadn't has hasn't "
    "have haven't having he he'd he'll he's help her here here's hers herself him himself his how "
    "how's i i'd i'll i'm i've if im in into is isn't it it's its itself ive just kind know let's "
    "like literally lol lot lots made make many me month months more most much mustn't my myself need "
    "no nor not now of off on once one only or other ought our ours ourselves out over own people "
    "post pretty really reddit same shan't she she'd she'll she's should shouldn't so some someone "
    "something sort still stuff sub such than thank thanks that that's thats the their theirs them "
    "themselves then there there's these they they'd they'll they're they've thing things think this "
    "those through time to today too two under until up use used using very want was wasn't way we "
    "we'd we'll we're we've week weeks well were weren't what what's when when's where where's which "
    "while who who's whom why why's will with won't would wouldn't yeah year years yes you you'd "
    "you'll you're you've your yours yourself yourselves "
)
# Words that carry feeling or filler but never say what a problem is about: a theme named
# "worst part / drives nuts" tells the reader nothing, so such words never start or end a name.
NAME_STOPWORDS = STOPWORDS | _words(
    "actual always ask asked asking bad basically best better big crazy current deal drives else end "
    "enough ever feel feels felt find first fix forget forgot found full getting gladly happen "
    "happened happens happily hate honestly hour hours insane keep kept last left little look looking "
    "looks lose losing lost love maybe mean means money morning never new next night nuts okay old "
    "option options paid part pay paying pays please probably question questions real right said say "
    "says seem seems seriously sick sorry sound start started suck sucks sure swear tell thinking "
    "tired told tomorrow totally tried try trying ugh wait waiting ways whole wish work worked "
    "working works worse worst yesterday "
)


# Words people use interchangeably for one business problem, mapped to one stem, so that
# "overdue", "unpaid" and "late" link threads about the same thing.
SYNONYMS = {
    "overdu": "late",
    "unpaid": "late",
    "outstand": "late",
    "owes": "late",
    "owed": "late",
    "chas": "chase",
    "nagg": "chase",
    "follow-up": "chase",
    "follow-ups": "chase",
    "net-30": "net",
    "net-60": "net",
    "net30": "net",
    "net60": "net",
    "dunn": "dunning",
    "declin": "fail",
    "expir": "fail",
    "no-show": "noshow",
    "no-shows": "noshow",
    "subscription": "subscript",
    "receipt": "receipt",
}


def stem(word: str) -> str:
    """A light suffix strip so 'invoices', 'invoicing' and 'invoice' meet."""
    for suffix in ("ing", "ers", "er", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    else:
        if word.endswith("s") and not word.endswith(("ss", "us", "as", "is")) and len(word) >= 4:
            word = word[:-1]
    return word.rstrip("e") if len(word) > 4 else word


def words(text: str) -> list[str]:
    """Lower-cased words of ``text`` as written, hyphenated words kept whole."""
    return [w[:-2] if w.endswith("'s") else w for w in WORD.findall(text.lower())]


def tokens(text: str) -> list[str]:
    """Content words of ``text``, lower-cased and stemmed."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 2]


def topic_tokens(text: str) -> list[str]:
    """Words that say what ``text`` is about: content words without feelings and filler, synonyms joined."""
    return [SYNONYMS.get(t, t) for t in (stem(w) for w in words(text) if w not in NAME_STOPWORDS and len(w) > 2)]


def phrases(text: str) -> dict[str, str]:
    """Candidate theme names in ``text``: pairs of content words at most one small word apart.

    Keys are the pairs' stems with synonyms joined, so "unpaid invoices" and "overdue invoice"
    count as one phrase; the value is the span as written ("chasing late payments"), so a
    name always shows words people really used.
    """
    found: dict[str, str] = {}
    lowered = text.lower()
    spans = [(m.start(), m.end(), m.group(0)) for m in WORD.finditer(lowered)]
    for n, (start, _, a) in enumerate(spans):
        if a in NAME_STOPWORDS or len(a) < 3:
            continue
        for gap in (1, 2):
            if n + gap >= len(spans):
                break
            end, b = spans[n + gap][1], spans[n + gap][2]
            if gap == 2 and spans[n + 1][2] not in STOPWORDS:
                break
            if b in NAME_STOPWORDS or len(b) < 3 or not _one_clause(lowered[start:end]):
                continue
            sa, sb = stem(a.removesuffix("'s")), stem(b.removesuffix("'s"))
            found.setdefault(f"{SYNONYMS.get(sa, sa)} {SYNONYMS.get(sb, sb)}", text[start:end])
            break
    return found


def _one_clause(span: str) -> bool:
    # A quote mark between the words ("'quick tweak' number") ends a clause too.
    return not any(c in span for c in '.,;:!?()[]\n"/') and "' " not in span and " '" not in span


def bigrams(text: str) -> list[str]:
    """Adjacent content-word pairs, as written (lower case, not stemmed)."""
    ws = [w for w in words(text) if len(w) > 2]
    return [f"{a} {b}" for a, b in pairwise(ws) if a not in STOPWORDS and b not in STOPWORDS]


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
    return normalized(vec)


def normalized(vec: Vector) -> Vector:
    """``vec`` scaled to unit length."""
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {t: v / norm for t, v in vec.items()}


def top_terms(vec: Vector, n: int) -> Vector:
    """The ``n`` heaviest terms of ``vec``, renormalised (keeps centroids small and comparisons fast)."""
    if len(vec) <= n:
        return normalized(vec)
    return normalized(dict(sorted(vec.items(), key=lambda kv: (-kv[1], kv[0]))[:n]))


def dot(a: Vector, b: Vector) -> float:
    """Dot product (the cosine when both are unit-length)."""
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def cosine(a: Vector, b: Vector) -> float:
    """Cosine similarity of two vectors of any length."""
    norm = math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values())) or 1.0
    return dot(a, b) / norm


def add_into(target: Vector, vec: Vector, factor: float = 1.0) -> None:
    """``target += factor * vec``."""
    for t, v in vec.items():
        target[t] = target.get(t, 0.0) + v * factor
