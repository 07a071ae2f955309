"""Up-front estimates for the confirmation step: posts, Reddit calls, cost range and duration."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from oppscout.core.contract import AnalysisRequest
from oppscout.core.costs import PriceTable

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

    def describe(self) -> str:
        """One line for a confirmation message."""
        minutes = max(1, round(self.seconds / 60))
        if self.cost_high == 0:
            cost = "$0 (local analysis, no paid calls)"
        else:
            cost = f"${self.cost_low:.2f}–${self.cost_high:.2f}"
        return f"~{self.posts} posts, ~{self.reddit_calls} Reddit calls, {cost}, about {minutes} min"


def estimate(request: AnalysisRequest, prices: PriceTable, *, llm_ceiling: Decimal = Decimal("0")) -> Estimate:
    """Estimate a request. ``llm_ceiling`` is the most the LLM step would spend (0 without an LLM)."""
    per_sub = POSTS_PER_SUBREDDIT_DAY * request.time_range.days * (KEYWORD_SHARE if request.keywords else 1.0)
    per_sub = min(per_sub, LISTING_CAP)
    posts = int(per_sub * len(request.subreddits))
    listing_calls = sum(max(1, math.ceil(per_sub / LISTING_PAGE)) for _ in request.subreddits)
    comment_calls = min(60, math.ceil(posts * COMMENT_SHARE))
    calls = listing_calls + comment_calls
    reddit = prices.reddit_cost(calls)
    high = min(request.max_cost, reddit + llm_ceiling)
    return Estimate(
        posts=posts,
        reddit_calls=calls,
        cost_low=min(high, reddit + llm_ceiling / 4),
        cost_high=high,
        seconds=int(calls * SECONDS_PER_CALL + 5),
    )
