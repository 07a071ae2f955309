"""``oppscout parse TEXT --now … --json``: the scriptable parser prints the contract's camelCase request."""

from __future__ import annotations

import json

import pytest

from oppscout.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(["parse", *argv]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # --json is one line, for scripts
    result: dict[str, object] = json.loads(out)
    return result


def test_parse_prints_request_in_camel_case(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(
        capsys,
        "/scout r/smallbusiness r/freelance invoicing last 2 weeks $2",
        "--now",
        "2026-11-29T12:00:00Z",
        "--json",
    )
    assert out == {
        "intent": "scan",
        "request": {
            "subreddits": ["smallbusiness", "freelance"],
            "keywords": ["invoicing"],
            "timeRange": {"start": "2026-11-15T12:00:00+00:00", "end": "2026-11-29T12:00:00+00:00"},
            "maxCost": 2.0,
        },
        "missing": [],
        "threshold": None,
        "cadence": None,
        "resolved": [],
        "unclear": [],
        "notes": [],
    }


def test_parse_reports_missing_threshold_cadence_and_guessed_names(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys, "watch our slash free lands daily, alert me above seventy", "--json")
    assert out["intent"] == "watch"
    assert out["threshold"] == 70
    assert out["cadence"] == "daily"
    assert out["request"] == {"subreddits": ["freelance"]}
    assert out["resolved"] == [{"heard": "free lands", "subreddit": "freelance"}]
    assert run(capsys, "what are marketers complaining about", "--json")["missing"] == ["subreddits"]
