"""Up-front estimates for the confirmation step: posts, Reddit calls, cost range and duration."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from oppscout.core.contract import AnalysisRequest
from oppscout.core.costs import PriceTable, money
from oppscout.core.wording import plural

# Typical new posts a day in an active business subreddit; keywords keep roughly a fifth.
POSTS_PER_SUBREDDIT_DAY = 25
KEYWORD_SHARE = 0.2
COMMENT_SHARE = 0.3
SECONDS_PER_CALL = 0.65  # Reddit allows 100 calls a minute per client.
LISTING_PAGE = 100
LISTING_CAP = 1000


@dataclass(frozen=True)
class Estimate:
    """What an analysis is expected to read, call, cost and take."""

    posts: int
    reddit_calls: int
    cost_low: Decimal
    cost_high: Decimal
    seconds: int
    free_llm: bool = False
    """The LLM writes up the results, at no cost (a local server declared free)."""

    def describe(self) -> str:
        """One line for a confirmation message."""
        duration = "under a minute" if self.seconds < 60 else f"about {round(self.seconds / 60)} min"
        if self.cost_high == 0:
            cost = "$0 (no paid calls: the LLM here is free)" if self.free_llm else "$0 (local analysis, no paid calls)"
        else:
            # Tiny budgets need more than cents: "$0.0002–$0.001", never "$0.00–$0.00".
            cost = f"{money(self.cost_low)}–{money(self.cost_high)}"
        return f"~{plural(self.posts, 'post')}, ~{plural(self.reddit_calls, 'Reddit call')}, {cost}, {duration}"


@dataclass(frozen=True)
class VolumeHint:
    """What the configured source knows about a request's size before it runs (e.g. the demo data set)."""

    posts: int
    seconds_per_call: float


def estimate(
    request: AnalysisRequest,
    prices: PriceTable,
    *,
    llm_range: tuple[Decimal, Decimal] = (Decimal("0"), Decimal("0")),
    volume: VolumeHint | None = None,
    free_llm: bool = False,
) -> Estimate:
    """Estimate a request. ``llm_range`` is what the LLM step would spend, low and high (0 without an LLM);
    ``volume`` replaces the typical-subreddit guess when the source can count the posts; ``free_llm`` says
    a free LLM writes the results up."""
    if volume is not None:
        posts = volume.posts
        listing_calls = max(len(request.subreddits), math.ceil(posts / LISTING_PAGE))
        seconds_per_call = volume.seconds_per_call
    else:
        per_sub = POSTS_PER_SUBREDDIT_DAY * request.time_range.days * (KEYWORD_SHARE if request.keywords else 1.0)
        per_sub = min(per_sub, LISTING_CAP)
        posts = int(per_sub * len(request.subreddits))
        listing_calls = sum(max(1, math.ceil(per_sub / LISTING_PAGE)) for _ in request.subreddits)
        seconds_per_call = SECONDS_PER_CALL
    comment_calls = min(60, math.ceil(posts * COMMENT_SHARE))
    calls = listing_calls + comment_calls
    reddit = prices.reddit_cost(calls)
    llm_low, llm_high = llm_range
    # Never more than the budget: the analysis stops calling before it would pass it.
    high = min(request.max_cost, reddit + llm_high)
    return Estimate(
        posts=posts,
        reddit_calls=calls,
        cost_low=min(high, reddit + llm_low),
        cost_high=high,
        seconds=int(calls * seconds_per_call + 5),
        free_llm=free_llm,
    )
