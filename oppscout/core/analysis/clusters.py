"""Themes by meaning: every item embedded, need-bearing items clustered by what they say.

Each post and comment is encoded once (all-MiniLM-L6-v2, batched). A comment is placed by its own
words and, less, by its post's ("same, it's killing us" is about what the post is about), so
clustering is thread-aware. Need-bearing items are grouped by agglomerative clustering on cosine
distance (average linkage, a distance threshold rather than a count, so the data decides how many
problems there are); on large inputs k-means first folds the items into micro-clusters, which
keeps memory linear. Items whose text is a near-copy of another's count once, and a cluster voiced
by fewer than ``MIN_AUTHORS`` people is dropped: one person's complaint is an anecdote.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.cluster import AgglomerativeClustering, MiniBatchKMeans

from oppscout.core.analysis.encoder import Vectors, bundled_encoder
from oppscout.core.analysis.need import Need, detect_need
from oppscout.core.analysis.signals import is_usable
from oppscout.core.analysis.text import add_into, idf, tfidf, top_terms, topic_tokens
from oppscout.core.analysis.themes import CENTROID_TERMS, Evidence, Theme, Thread
from oppscout.core.corpus import ItemKind, RedditItem

log = logging.getLogger(__name__)

# Items further apart than this (cosine distance after centring, average linkage) are different problems.
DISTANCE = 0.8
MIN_AUTHORS = 3
# The shared direction of all need-bearing items is removed before clustering when there are
# enough of them to estimate it; fewer items are clustered as they are, at ``RAW_DISTANCE``.
CENTRE_MIN = 60
RAW_DISTANCE = 0.6
# Clusters whose centres are this similar are one problem told in different words.
MERGE_CENTRES = 0.8
MERGE_CANDIDATES = 400
# A stray item this close to a standing cluster's centre is about that cluster's problem.
ATTACH = 0.55
# Above this many need-bearing items, k-means folds them into micro-clusters first.
MAX_DIRECT = 3000
MICRO_CLUSTERS = 1500
# How much a comment's post counts when placing the comment: more for a short reply.
SHORT_REPLY_WORDS = 25
POST_WEIGHT_SHORT = 0.6
POST_WEIGHT_LONG = 0.3
# Texts at least this similar are one text copied (a bot, a cross-post): counted once.
DUPLICATE = 0.97
# What the encoder reads: a complaint's point is in its title and opening, and the encoder's cost
# grows with length (about 90 and 70 word pieces).
POST_CHARS = 400
COMMENT_CHARS = 300
# Replies this short may carry their thread's need without saying it again ("same here").
REPLY_WORDS = 60
# The encoder is nearly all of the engine's time (~15 ms an item on two cores): past this many
# need-bearing items, the strongest are clustered and the rest left out, which the results say.
MAX_EMBEDDED = MAX_DIRECT


@dataclass
class Embedded:
    """Items with their vectors (row ``i`` is ``items[i]``)."""

    items: list[RedditItem]
    vectors: Vectors
    index: dict[str, int]


def item_text(item: RedditItem) -> str:
    """What the encoder reads for an item: the title and the opening of the body."""
    limit = POST_CHARS if item.kind == ItemKind.POST else COMMENT_CHARS
    body = " ".join(item.body.split())[:limit]
    return f"{item.title}\n{body}" if item.title else body


def embed_items(items: Sequence[RedditItem]) -> Embedded:
    """The items encoded in one batched pass."""
    chosen = list(items)
    vectors = bundled_encoder().encode([item_text(i) for i in chosen])
    return Embedded(chosen, vectors, {i.reddit_id: n for n, i in enumerate(chosen)})


def _placed(embedded: Embedded, rows: list[int]) -> Vectors:
    # A comment's vector leans towards its post's: thread context for clustering.
    out = embedded.vectors[rows].copy()
    for k, row in enumerate(rows):
        item = embedded.items[row]
        post_row = embedded.index.get(item.post_id or "") if item.kind == ItemKind.COMMENT else None
        if post_row is not None:
            weight = POST_WEIGHT_SHORT if len(item.body.split()) < SHORT_REPLY_WORDS else POST_WEIGHT_LONG
            out[k] = out[k] + weight * embedded.vectors[post_row]
    out = _unit(out)
    if len(out) >= CENTRE_MIN:
        # Every complaint shares a "business trouble" direction; removing the common mean lets
        # the distances tell problems apart instead of saying that all of them are complaints.
        out = _unit(out - out.mean(axis=0))
    return out


def needs_of(items: Sequence[RedditItem], *, limit: int = MAX_EMBEDDED) -> tuple[dict[str, Need], Embedded, int]:
    """Need-bearing items by id, with their embeddings; comments read in their thread; and how
    many need-bearing items were left out because there were more than ``limit``.

    Only what can matter is encoded (the encoder is the engine's main cost): need-bearing items,
    and short replies in need-bearing threads, which may carry their thread's need. Past
    ``limit``, the strongest needs (then the most upvoted) are kept, so time stays bounded.
    """
    usable = [i for i in items if is_usable(i)]
    found: dict[str, Need] = {}
    for item in usable:
        if item.kind == ItemKind.POST and (need := detect_need(item)) is not None:
            found[item.reddit_id] = need
    for item in usable:
        if item.kind == ItemKind.COMMENT:
            need = detect_need(item, post_need=(item.post_id or "") in found)
            if need is not None:
                found[item.reddit_id] = need
    left_out = max(0, len(found) - limit)
    if left_out:
        scores = {i.reddit_id: i.score for i in usable}
        strongest = sorted(found, key=lambda k: (found[k].strength, scores.get(k, 0)), reverse=True)[:limit]
        found = {k: found[k] for k in strongest}
        log.info("%d need-bearing items; the %d strongest are clustered", len(found) + left_out, limit)
    replies = [
        i
        for i in usable
        if i.kind == ItemKind.COMMENT
        and i.reddit_id not in found
        and (i.post_id or "") in found
        and len(i.body.split()) <= REPLY_WORDS
    ][: max(0, limit - len(found))]
    embedded = embed_items([i for i in usable if i.reddit_id in found] + replies)
    for item in replies:
        row, post_row = embedded.index[item.reddit_id], embedded.index[item.post_id or ""]
        similarity = float(embedded.vectors[row] @ embedded.vectors[post_row])
        need = detect_need(item, post_need=True, similarity_to_post=similarity)
        if need is not None:
            found[item.reddit_id] = need
    return found, embedded, left_out


def _labels(vectors: Vectors) -> npt.NDArray[np.int64]:
    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=np.int64)
    if len(vectors) <= MAX_DIRECT:
        threshold = DISTANCE if len(vectors) >= CENTRE_MIN else RAW_DISTANCE
        model = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=threshold
        )
        return np.asarray(model.fit_predict(vectors), dtype=np.int64)
    # Linear memory on large inputs: micro-clusters first, then the same linkage on their centres.
    micro = MiniBatchKMeans(n_clusters=MICRO_CLUSTERS, random_state=0, n_init=1, batch_size=4096)
    fine = np.asarray(micro.fit_predict(vectors), dtype=np.int64)
    centres = micro.cluster_centers_ / np.maximum(np.linalg.norm(micro.cluster_centers_, axis=1, keepdims=True), 1e-9)
    coarse = _labels(np.asarray(centres, dtype=np.float32)) if len(centres) <= MAX_DIRECT else fine
    return coarse[fine]


def _unit(x: Vectors) -> Vectors:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)  # type: ignore[no-any-return]


def _regroup(labels: npt.NDArray[np.int64], placed: Vectors, authors: list[str]) -> list[list[int]]:
    """Clusters as position lists: one problem found twice merged, stray items joined to their problem.

    Average linkage keeps clusters tight, so one problem told in different words can come out as
    two clusters whose centres are close: those are merged. Items left in clusters too small to
    stand (fewer than ``MIN_AUTHORS`` people) join the nearest standing cluster when close to its
    centre, so mentions count every item about a problem, not only the tightest ones.
    """
    groups = [list(np.flatnonzero(labels == label)) for label in np.unique(labels)]
    groups.sort(key=len, reverse=True)
    head, tail = groups[:MERGE_CANDIDATES], groups[MERGE_CANDIDATES:]
    centres = _unit(np.stack([placed[g].mean(axis=0) for g in head])) if head else np.zeros((0, placed.shape[1]))
    alive = list(range(len(head)))
    while len(alive) > 1:
        sims = centres[alive] @ centres[alive].T
        np.fill_diagonal(sims, -1.0)
        a, b = np.unravel_index(int(np.argmax(sims)), sims.shape)
        if sims[a, b] < MERGE_CENTRES:
            break
        keep, gone = alive[int(a)], alive[int(b)]
        head[keep] = head[keep] + head[gone]
        centres[keep] = _unit(placed[head[keep]].mean(axis=0))
        alive.remove(gone)
    merged = [head[i] for i in alive] + tail
    standing = [g for g in merged if len({authors[k] for k in g}) >= MIN_AUTHORS]
    strays = [k for g in merged if len({authors[k] for k in g}) < MIN_AUTHORS for k in g]
    if standing and strays:
        centres = _unit(np.stack([placed[g].mean(axis=0) for g in standing]))
        sims = placed[strays] @ centres.T
        for k, row in zip(strays, sims, strict=True):
            best = int(np.argmax(row))
            if row[best] >= ATTACH:
                standing[best].append(k)
    return [sorted(int(k) for k in g) for g in standing]


def _dedupe(positions: list[int], vectors: Vectors) -> list[int]:
    # A copied text (cross-post, bot, template) is one voice, however often it appears.
    chosen = vectors[positions]
    similar = chosen @ chosen.T
    kept: list[int] = []
    for k in range(len(positions)):
        if kept and float(similar[k, kept].max()) >= DUPLICATE:
            continue
        kept.append(k)
    return [positions[k] for k in kept]


def cluster(items: Sequence[RedditItem]) -> tuple[list[Theme], Embedded, int]:
    """Themes of the need-bearing items, each with its centroid; the embedded items; and how many
    need-bearing items were left out (see ``needs_of``)."""
    by_id, embedded, left_out = needs_of(items)
    rows = sorted(embedded.index[k] for k in by_id)
    needs = {embedded.index[k]: n for k, n in by_id.items()}
    if not rows:
        return [], embedded, left_out
    placed = _placed(embedded, rows)
    authors = [embedded.items[r].author.lower() for r in rows]
    groups = _regroup(_labels(placed), placed, authors)
    posts = {i.reddit_id: i for i in items if i.kind == ItemKind.POST}
    themes: list[Theme] = []
    for group in groups:
        positions = _dedupe(group, placed)
        member_rows = [rows[k] for k in positions]
        people = {embedded.items[r].author.lower() for r in member_rows}
        if len(people) < MIN_AUTHORS:
            continue
        theme = _theme(member_rows, embedded, needs, posts)
        centre = placed[positions].mean(axis=0)
        theme.vector = centre / max(float(np.linalg.norm(centre)), 1e-9)
        themes.append(theme)
    _word_centroids(themes)
    log.info("clustered %d need-bearing items of %d into %d themes", len(rows), len(embedded.items), len(themes))
    return themes, embedded, left_out


def _theme(rows: list[int], embedded: Embedded, needs: dict[int, Need], posts: dict[str, RedditItem]) -> Theme:
    by_thread: dict[str, Thread] = {}
    for row in rows:
        item = embedded.items[row]
        key = (item.post_id or item.reddit_id) if item.kind == ItemKind.COMMENT else item.reddit_id
        thread = by_thread.get(key)
        if thread is None:
            thread = by_thread[key] = Thread(key=key, post=posts.get(key))
        thread.evidence.append(Evidence(item, needs[row].signals))
    theme = Theme()
    theme.threads = list(by_thread.values())
    return theme


def _word_centroids(themes: list[Theme]) -> None:
    # Each theme's heaviest words (TF-IDF over the themes), used to explain and to merge themes.
    docs = [[t for m in theme.members for t in topic_tokens(m.item.text)] for theme in themes]
    weights = idf(docs)
    for theme, doc in zip(themes, docs, strict=True):
        add_into(theme.total, tfidf(doc, weights))
        theme.centroid = top_terms(theme.total, CENTROID_TERMS)
