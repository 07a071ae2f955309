"""Optional embeddings: merge themes that mean the same thing but share few words.

TF-IDF groups threads by shared vocabulary, so "card declined" and "involuntary churn" can land in
two themes. When an OpenAI-compatible embeddings endpoint is configured, each sizeable theme is
described by its post titles, embedded in one paid call (estimated, reserved, settled and stored
like any other paid call), and themes whose descriptions are close are merged and renamed.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from oppscout.core.analysis.budget import AnalysisBudget
from oppscout.core.analysis.themes import Theme, name
from oppscout.core.costs import PriceTable
from oppscout.core.errors import BudgetExceededError

# Only themes with at least this many people are worth a paid comparison.
MIN_AUTHORS = 2
MAX_THEMES = 100
TITLES_PER_THEME = 5
# Descriptions at least this similar are the same problem (tuned for OpenAI's text-embedding-3 models).
MERGE_SIMILARITY = 0.8


@dataclass(frozen=True)
class EmbeddingReply:
    """Vectors, one per text, and the tokens the provider counted."""

    vectors: list[list[float]]
    tokens: int


class Embedder(Protocol):
    """An OpenAI-compatible embeddings endpoint."""

    model: str

    async def embed(self, texts: list[str]) -> EmbeddingReply:
        """One vector per text, in order; raises ``LlmCallError``."""
        ...


def describe(theme: Theme) -> str:
    """What a theme is about, in people's words: its phrases and its posts' titles."""
    titles = [t.post.title for t in theme.threads if t.post is not None][:TITLES_PER_THEME]
    return "; ".join([*theme.phrases, *titles])[:1000]


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    norm = math.sqrt(sum(x * x for x in a) * sum(y * y for y in b)) or 1.0
    return sum(x * y for x, y in zip(a, b, strict=False)) / norm


def merge_close(themes: list[Theme], vectors: list[list[float]], threshold: float = MERGE_SIMILARITY) -> list[Theme]:
    """Merge each theme into the first bigger one whose vector is at least ``threshold`` similar."""
    kept: list[tuple[Theme, list[float]]] = []
    for theme, vector in zip(themes, vectors, strict=True):
        target = next((k for k, v in kept if _cosine(vector, v) >= threshold), None)
        if target is None:
            kept.append((theme, vector))
        else:
            target.absorb(theme)
    return [t for t, _ in kept]


async def merge_by_meaning(
    themes: list[Theme], embedder: Embedder, prices: PriceTable, budget: AnalysisBudget
) -> tuple[list[Theme], str | None]:
    """The themes with near-duplicates merged, and a note when embeddings could not be used."""
    from oppscout.core.analysis.llm_call import LlmCallError, byte_bound

    ranked = sorted(themes, key=lambda t: (-len(t.authors), -len(t.threads)))
    candidates = [t for t in ranked if len(t.authors) >= MIN_AUTHORS][:MAX_THEMES]
    rest = [t for t in ranked if t not in candidates]
    if len(candidates) < 2:
        return themes, None
    if not prices.prices_model(embedder.model):
        return (
            themes,
            f"Themes were grouped by shared words only: the embeddings model '{embedder.model}' has no price.",
        )
    texts = [describe(t) for t in candidates]
    digest = hashlib.sha256("\n".join([embedder.model, *texts]).encode()).hexdigest()[:16]
    key = f"emb:{budget.governor.analysis_id}:{digest}"
    stored = await budget.cache.get(key)
    if stored is not None:
        vectors = [list(map(float, v)) for v in stored["vectors"]]
    else:
        try:
            most = prices.llm_cost(embedder.model, byte_bound(*texts), 0)
            reservation = await budget.governor.reserve(key, most, "llm")
        except BudgetExceededError as error:
            return themes, f"Themes were grouped by shared words only: {error.message}"
        try:
            reply = await embedder.embed(texts)
        except LlmCallError as error:
            await budget.governor.release(reservation)
            return themes, f"Themes were grouped by shared words only: the embeddings endpoint failed ({error})."
        warnings = await budget.governor.settle(
            reservation, prices.llm_cost(embedder.model, reply.tokens, 0), tokens_in=reply.tokens
        )
        await budget.announce(warnings)
        vectors = reply.vectors
        await budget.cache.put(key, {"vectors": vectors})
    merged = merge_close(candidates, vectors)
    if len(merged) == len(candidates):
        return themes, None
    result = merged + rest
    name(result)
    return result, None
