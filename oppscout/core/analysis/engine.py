"""The local engine: needs no API key, costs nothing, and explains every score."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from oppscout.core.analysis.budget import AnalysisBudget
from oppscout.core.analysis.clusters import cluster
from oppscout.core.analysis.embedding import Embedder, merge_by_meaning
from oppscout.core.analysis.naming import name_themes
from oppscout.core.analysis.relevance import select
from oppscout.core.analysis.scoring import Scale, components, score
from oppscout.core.analysis.signals import SignalKind
from oppscout.core.analysis.themes import Theme
from oppscout.core.contract import AnalysisRequest, Coverage, Opportunity, OpportunityResults, Quote
from oppscout.core.corpus import ItemKind, RedditItem
from oppscout.core.costs import PriceTable

TOP_N = 10
MAX_QUOTES = 5
MAX_QUOTE_CHARS = 320
MIN_AUTHORS = 3
# Themes named beyond the top ``TOP_N``, for those dropped for having no quotable sentence.
NAMING_SPARE = 2
# A signal that is only an advice request is not a product opportunity on its own.
PRODUCT_SIGNALS = {k for k in SignalKind if k != SignalKind.ADVICE_REQUEST}


@dataclass(frozen=True)
class Excerpt:
    """A verbatim sentence of a theme, with the item it comes from."""

    text: str
    item: RedditItem


def excerpts(theme: Theme, limit: int, *, per_author: int = 1) -> list[Excerpt]:
    """The theme's sentences that best state its pain, at most ``per_author`` per person."""
    chosen: list[Excerpt] = []
    by_author: dict[str, int] = {}
    for _, sentence, item in theme.ranked:
        author = item.author.lower()
        if by_author.get(author, 0) >= per_author:
            continue
        by_author[author] = by_author.get(author, 0) + 1
        chosen.append(Excerpt(sentence, item))
        if len(chosen) == limit:
            break
    return chosen


def quote_of(excerpt: Excerpt) -> Quote:
    """An excerpt as a quote with its permalink."""
    item = excerpt.item
    return Quote(
        text=excerpt.text, permalink=item.permalink, author=item.author, subreddit=item.subreddit, score=item.score
    )


def _title(theme: Theme) -> str:
    if theme.title:
        return theme.title
    first = theme.phrases[0] if theme.phrases else "Untitled theme"
    return first[:1].upper() + first[1:]


def _problem(theme: Theme) -> str:
    subs = sorted({m.item.subreddit for m in theme.members}, key=str.lower)
    where = ", ".join(f"r/{s}" for s in subs)
    people = len(theme.authors)
    lead = f"{people} {'person' if people == 1 else 'people'} in {where}"
    return f"{lead} say things like: “{theme.problem}”" if theme.problem else f"{lead} raise this."


@dataclass
class LocalAnalysis:
    """The local results and, for each opportunity, the theme behind it (for LLM synthesis)."""

    results: OpportunityResults
    themes: list[Theme] = field(default_factory=list)
    items: list[RedditItem] = field(default_factory=list)


def analyze_items(items: Sequence[RedditItem], request: AnalysisRequest) -> OpportunityResults:
    """Synchronous core of the engine (CPU-bound; callers run it off the event loop)."""
    return local_analysis(items, request).results


def local_analysis(items: Sequence[RedditItem], request: AnalysisRequest) -> LocalAnalysis:
    """Signals, themes, scores and quotes, keeping each opportunity's theme."""
    chosen, note = relevant(items, request)
    themes, capped = find_themes(chosen)
    analysis = rank_themes(themes, items, request)
    analysis.results.notes += [n for n in (note, capped) if n]
    return analysis


def relevant(items: Sequence[RedditItem], request: AnalysisRequest) -> tuple[list[RedditItem], str | None]:
    """The items the request's keywords select (by word form and meaning), and how many that was."""
    if not request.keywords:
        return list(items), None
    selection = select(items, request.keywords)
    return selection.items, selection.note


def find_themes(items: Sequence[RedditItem]) -> tuple[list[Theme], str | None]:
    """Need-bearing items, embedded and clustered by meaning; and a note when there were too many
    to cluster them all (the strongest were kept)."""
    themes, embedded, left_out = cluster(items)
    if not left_out:
        return themes, None
    kept = len(embedded.items)
    return themes, (
        f"So many items raise a need that the themes come from the strongest {kept:,}; "
        f"{left_out:,} weaker ones were left out. A narrower window or keywords would read them all."
    )


def rank_themes(all_themes: list[Theme], items: Sequence[RedditItem], request: AnalysisRequest) -> LocalAnalysis:
    """Score and quote the themes, best first, as opportunities."""
    # One person's complaint, however loud, is an anecdote: a theme needs several voices.
    themes = [t for t in all_themes if len(t.authors) >= MIN_AUTHORS]
    scale = Scale.of(themes)
    scored = []
    for theme in themes:
        total, points = score(components(theme, request.time_range.start, request.time_range.end, scale))
        scored.append((total, points, theme))
    scored.sort(key=lambda s: (-s[0], -len(s[2].authors)))
    # Only the themes that can reach the top are named: naming reads every candidate's meaning.
    head = scored[: TOP_N + NAMING_SPARE]
    name_themes([t for _, _, t in head], themes)
    ranked: list[tuple[Opportunity, Theme]] = []
    for total, points, theme in head:
        quotes = [quote_of(e) for e in excerpts(theme, MAX_QUOTES)]
        if not quotes:
            continue
        counts: dict[str, int] = {}
        for m in theme.members:
            for kind in {s.kind for s in m.signals}:
                counts[kind.value] = counts.get(kind.value, 0) + 1
        ranked.append(
            (
                Opportunity(
                    title=_title(theme),
                    problem=_problem(theme),
                    score=total,
                    score_breakdown=points,
                    key_phrases=theme.phrases,
                    signal_counts=counts,
                    mentions=len(theme.members),
                    distinct_authors=len(theme.authors),
                    subreddits=sorted({m.item.subreddit for m in theme.members}, key=str.lower),
                    quotes=quotes,
                ),
                theme,
            )
        )
    ranked.sort(key=lambda pair: (-pair[0].score, -pair[0].distinct_authors, pair[0].title))
    ranked = ranked[:TOP_N]
    n_posts = sum(1 for i in items if i.kind == ItemKind.POST)
    results = OpportunityResults(
        opportunities=[o for o, _ in ranked],
        coverage=Coverage(
            posts=n_posts,
            comments=len(items) - n_posts,
            subreddits=request.subreddits,
            window_start=request.time_range.start,
            window_end=request.time_range.end,
        ),
        engine="local",
    )
    return LocalAnalysis(results, [t for _, t in ranked], list(items))


class LocalEngine:
    """The ``AnalysisEngine`` that runs on this machine at zero cost.

    With an ``embedder`` (an OpenAI-compatible embeddings endpoint) and a budget to charge it to,
    themes whose titles mean the same thing are merged after the TF-IDF grouping; without one,
    or when the call fails or does not fit the budget, the TF-IDF themes stand.
    """

    name = "local"

    def __init__(self, embedder: Embedder | None = None, prices: PriceTable | None = None) -> None:
        self.embedder = embedder
        self.prices = prices

    async def run(
        self, items: Sequence[RedditItem], request: AnalysisRequest, budget: AnalysisBudget | None = None
    ) -> LocalAnalysis:
        """The local analysis with each opportunity's theme (for synthesis)."""
        items = list(items)
        if self.embedder is None or self.prices is None or budget is None:
            return await asyncio.to_thread(local_analysis, items, request)
        chosen, matched = await asyncio.to_thread(relevant, items, request)
        themes, capped = await asyncio.to_thread(find_themes, chosen)
        themes, note = await merge_by_meaning(themes, self.embedder, self.prices, budget)
        analysis = await asyncio.to_thread(rank_themes, themes, items, request)
        analysis.results.notes += [n for n in (matched, capped, note) if n]
        return analysis

    async def analyze(
        self, items: Sequence[RedditItem], request: AnalysisRequest, budget: AnalysisBudget | None = None
    ) -> OpportunityResults:
        """Find, group, score and quote opportunities, off the event loop."""
        return (await self.run(items, request, budget)).results
