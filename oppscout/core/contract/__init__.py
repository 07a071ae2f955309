"""The contract models shared by every interface (JSON in camelCase)."""

from oppscout.core.contract.base import CamelModel, Money, UtcDateTime, utcnow
from oppscout.core.contract.jobs import QueueStatus, WorkerJobStatus
from oppscout.core.contract.request import AnalysisRequest, NotificationPreferences, TimeRange, normalize_subreddit
from oppscout.core.contract.response import (
    STAGES,
    AnalysisMetadata,
    AnalysisResponse,
    AnalysisStatus,
    CostBreakdown,
    Coverage,
    Opportunity,
    OpportunityResults,
    ProgressUpdate,
    Quote,
    Stage,
)

__all__ = [
    "STAGES",
    "AnalysisMetadata",
    "AnalysisRequest",
    "AnalysisResponse",
    "AnalysisStatus",
    "CamelModel",
    "CostBreakdown",
    "Coverage",
    "Money",
    "NotificationPreferences",
    "Opportunity",
    "OpportunityResults",
    "ProgressUpdate",
    "QueueStatus",
    "Quote",
    "Stage",
    "TimeRange",
    "UtcDateTime",
    "WorkerJobStatus",
    "normalize_subreddit",
    "utcnow",
]
