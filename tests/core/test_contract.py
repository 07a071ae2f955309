"""The contract models: camelCase JSON and one test per validation rule, with messages people can act on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from oppscout.core.contract import (
    AnalysisMetadata,
    AnalysisRequest,
    AnalysisResponse,
    AnalysisStatus,
    QueueStatus,
    Stage,
    WorkerJobStatus,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def request(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subreddits": ["smallbusiness"],
        "timeRange": {"start": (NOW - timedelta(days=7)).isoformat(), "end": NOW.isoformat()},
        "maxCost": 2,
    }
    body.update(overrides)
    return body


def validate(body: dict[str, Any], cap: str = "25") -> AnalysisRequest:
    return AnalysisRequest.model_validate(body, context={"max_cost_cap": Decimal(cap), "now": NOW})


def error_text(body: dict[str, Any], cap: str = "25") -> str:
    with pytest.raises(ValidationError) as caught:
        validate(body, cap)
    return str(caught.value)


def test_json_is_camel_case_and_python_is_snake_case() -> None:
    req = validate(request(notificationPreferences={"email": True, "push": False, "costThreshold": 1.5}))
    assert req.notification_preferences.cost_threshold == Decimal("1.5")
    dumped = req.model_dump(mode="json")
    assert set(dumped) == {"subreddits", "timeRange", "keywords", "maxCost", "notificationPreferences"}
    assert dumped["notificationPreferences"] == {"email": True, "push": False, "costThreshold": 1.5}
    assert dumped["maxCost"] == 2.0


def test_subreddit_names_follow_reddits_rules() -> None:
    assert "not a valid subreddit name" in error_text(request(subreddits=["small business"]))
    assert "not a valid subreddit name" in error_text(request(subreddits=["x"]))
    assert "not a valid subreddit name" in error_text(request(subreddits=["a" * 22]))
    assert validate(request(subreddits=["ab", "a" * 21, "web_design", "r/SaaS", "/r/startups"])).subreddits == [
        "ab",
        "a" * 21,
        "web_design",
        "SaaS",
        "startups",
    ]


def test_subreddit_identity_is_case_insensitive_but_display_case_is_kept() -> None:
    req = validate(request(subreddits=["SaaS", "saas", "r/SAAS", "Entrepreneur"]))
    assert req.subreddits == ["SaaS", "Entrepreneur"]
    assert req.subreddit_keys == ["saas", "entrepreneur"]


def test_between_one_and_ten_subreddits() -> None:
    assert "at least one subreddit" in error_text(request(subreddits=[]))
    assert "At most 10 subreddits" in error_text(request(subreddits=[f"sub{i}" for i in range(11)]))
    assert len(validate(request(subreddits=[f"sub{i}" for i in range(10)])).subreddits) == 10


def test_time_range_cannot_end_in_the_future() -> None:
    future = {"start": NOW.isoformat(), "end": (NOW + timedelta(days=1)).isoformat()}
    assert "cannot end in the future" in error_text(request(timeRange=future))


def test_time_range_is_at_most_365_days() -> None:
    long = {"start": (NOW - timedelta(days=366)).isoformat(), "end": NOW.isoformat()}
    assert "at most 365 days" in error_text(request(timeRange=long))
    year = {"start": (NOW - timedelta(days=365)).isoformat(), "end": NOW.isoformat()}
    assert validate(request(timeRange=year)).time_range.days == 365


def test_time_range_must_start_before_it_ends() -> None:
    backwards = {"start": NOW.isoformat(), "end": (NOW - timedelta(days=1)).isoformat()}
    assert "must start before it ends" in error_text(request(timeRange=backwards))


def test_max_cost_cannot_be_negative() -> None:
    assert "cannot be negative" in error_text(request(maxCost=-0.01))
    assert validate(request(maxCost=0)).max_cost == 0


def test_max_cost_is_within_the_configured_cap() -> None:
    assert "above this workspace's cap of $5" in error_text(request(maxCost=6), cap="5")
    assert validate(request(maxCost=5), cap="5").max_cost == 5


def test_at_most_ten_keywords_of_at_most_100_characters() -> None:
    assert "At most 10 keywords" in error_text(request(keywords=[f"k{i}" for i in range(11)]))
    assert "at most 100 characters" in error_text(request(keywords=["x" * 101]))
    assert validate(request(keywords=["  late   payments ", ""])).keywords == ["late payments"]


def test_response_and_status_models_serialise_in_camel_case() -> None:
    response = AnalysisResponse(
        analysis_id="abc",
        status=AnalysisStatus.QUEUED,
        metadata=AnalysisMetadata(created_at=NOW),
    )
    dumped = response.model_dump(mode="json")
    assert {"analysisId", "status", "progress", "results", "costBreakdown", "metadata"} <= set(dumped)
    assert dumped["progress"]["postsCollected"] == 0
    job = WorkerJobStatus(
        job_id="abc", type=Stage.AI_ANALYSIS, status=AnalysisStatus.PROCESSING, progress=40, estimated_completion=NOW
    )
    assert job.model_dump(mode="json")["type"] == "ai-analysis"
    assert job.model_dump(mode="json")["costAccumulated"] == 0.0
    queue = QueueStatus(position=2, estimated_wait=30, available_workers=0, total_workers=1)
    assert queue.model_dump(mode="json") == {
        "position": 2,
        "estimatedWait": 30.0,
        "availableWorkers": 0,
        "totalWorkers": 1,
        "running": False,
    }
    with pytest.raises(ValidationError):
        WorkerJobStatus(job_id="x", type=Stage.AI_ANALYSIS, status=AnalysisStatus.QUEUED, progress=101)


def test_dates_at_the_edge_of_the_calendar_are_refused_not_crashed_on() -> None:
    edge = {"start": "0001-01-01T00:00:00+05:00", "end": NOW.isoformat()}
    assert "out of range" in error_text(request(timeRange=edge))


def test_keywords_must_be_words_or_phrases() -> None:
    assert "must be a list of words or phrases" in error_text(request(keywords=True))
    assert "must be a list of words or phrases" in error_text(request(keywords=[1, 2]))
