"""AnalysisResponse and what it carries: progress, results, costs and metadata."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from oppscout.core.contract.base import CamelModel, Money, UtcDateTime


class AnalysisStatus(StrEnum):
    """Lifecycle of an analysis.

    The contract names four states; ``cancelled`` is the product's extension (a user stopped it).
    """

    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        """Whether nothing more will happen to the analysis."""
        return self in (AnalysisStatus.COMPLETED, AnalysisStatus.FAILED, AnalysisStatus.CANCELLED)


class Stage(StrEnum):
    """The worker stages, in the order they run."""

    REDDIT_COLLECTION = "reddit-collection"
    COMMENT_PROCESSING = "comment-processing"
    AI_ANALYSIS = "ai-analysis"

    @property
    def label(self) -> str:
        """A short human label for progress lines."""
        return {
            Stage.REDDIT_COLLECTION: "collecting posts",
            Stage.COMMENT_PROCESSING: "reading comments",
            Stage.AI_ANALYSIS: "finding opportunities",
        }[self]


STAGES: tuple[Stage, ...] = (Stage.REDDIT_COLLECTION, Stage.COMMENT_PROCESSING, Stage.AI_ANALYSIS)


class ProgressUpdate(CamelModel):
    """Where an analysis stands now.

    ``percent`` is the whole analysis (0-100 across every stage, never going back); ``stagePercent`` is
    the current stage's own.
    """

    stage: Stage | None = None
    percent: int = Field(default=0, ge=0, le=100)
    stage_percent: int = Field(default=0, ge=0, le=100)
    message: str = ""
    posts_collected: int = 0
    comments_collected: int = 0
    queue_position: int | None = None
    estimated_completion: UtcDateTime | None = None


class Quote(CamelModel):
    """A verbatim sentence from Reddit, with where it was said."""

    text: str
    permalink: str
    author: str
    subreddit: str
    score: int = 0


class Opportunity(CamelModel):
    """One ranked product opportunity with the evidence behind it."""

    title: str
    problem: str
    score: int = Field(ge=0, le=100)
    score_breakdown: dict[str, float] = Field(default_factory=dict)
    key_phrases: list[str] = Field(default_factory=list)
    signal_counts: dict[str, int] = Field(default_factory=dict)
    mentions: int = 0
    distinct_authors: int = 0
    subreddits: list[str] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)
    product_idea: str | None = None
    # Filled by LLM synthesis when it ran; the local engine leaves them empty.
    who_has_it: str | None = None
    workarounds: list[str] = Field(default_factory=list)
    solutions_mentioned: list[str] = Field(default_factory=list)
    willingness_to_pay: str | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)


class Coverage(CamelModel):
    """What the analysis looked at."""

    posts: int = 0
    comments: int = 0
    subreddits: list[str] = Field(default_factory=list)
    window_start: UtcDateTime | None = None
    window_end: UtcDateTime | None = None
    truncated: bool = False


class OpportunityResults(CamelModel):
    """The final result of an analysis."""

    opportunities: list[Opportunity] = Field(default_factory=list)
    coverage: Coverage = Field(default_factory=Coverage)
    engine: str = "local"
    notes: list[str] = Field(default_factory=list)


class CostBreakdown(CamelModel):
    """Money spent and held for one analysis, in USD."""

    total: Money = Decimal("0")
    reddit_calls: int = 0
    reddit_cost: Money = Decimal("0")
    llm_tokens_in: int = 0
    llm_tokens_out: int = 0
    llm_cost: Money = Decimal("0")
    reserved: Money = Decimal("0")
    budget: Money = Decimal("0")

    @property
    def remaining(self) -> Decimal:
        """What can still be spent."""
        return max(Decimal("0"), self.budget - self.total - self.reserved)


class AnalysisMetadata(CamelModel):
    """Who asked, from where, and when things happened."""

    created_at: UtcDateTime
    started_at: UtcDateTime | None = None
    completed_at: UtcDateTime | None = None
    platform: str = "console"
    requested_by: str | None = None
    subreddits: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    window_start: datetime | None = None
    window_end: datetime | None = None
    error: str | None = None


class AnalysisResponse(CamelModel):
    """An analysis as the outside world sees it."""

    analysis_id: str
    status: AnalysisStatus
    progress: ProgressUpdate = Field(default_factory=ProgressUpdate)
    results: OpportunityResults | None = None
    cost_breakdown: CostBreakdown = Field(default_factory=CostBreakdown)
    metadata: AnalysisMetadata
