"""`oppscout scan`: one analysis for scripts and cron — results on stdout, progress on stderr, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def scan(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPPSCOUT_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    env.pop("OPPSCOUT_REDIS_URL", None)  # the embedded Redis, and a worker in the command's own process
    return subprocess.run(
        [sys.executable, "-m", "oppscout.cli", "scan", *args], env=env, capture_output=True, text=True, timeout=180
    )


def test_json_output_is_the_api_contract_and_progress_goes_to_stderr(tmp_path: Path) -> None:
    result = scan(
        ["r/freelance", "r/smallbusiness", "--about", "invoice", "--days", "30", "--budget", "1", "--json"], tmp_path
    )
    assert result.returncode == 0, result.stderr
    analysis = json.loads(result.stdout)  # nothing but the results on stdout
    assert analysis["status"] == "completed"
    assert analysis["metadata"]["subreddits"] == ["freelance", "smallbusiness"]
    assert analysis["metadata"]["keywords"] == ["invoice"]
    assert analysis["costBreakdown"]["budget"] == 1.0
    assert analysis["results"]["opportunities"]
    lines = result.stderr.splitlines()
    assert lines[0].startswith("[  0%]") and lines[-1].startswith("[100%]")
    percents = [int(line[1:4]) for line in lines if line.startswith("[")]
    assert percents == sorted(percents)


def test_markdown_output_is_the_report(tmp_path: Path) -> None:
    result = scan(["r/freelance", "--days", "30", "--markdown"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Opportunity report: r/freelance")
    assert "https://www.reddit.com/r/" in result.stdout


def test_refusals_exit_2_with_one_clear_line_and_start_nothing(tmp_path: Path) -> None:
    over_cap = scan(["r/freelance", "--budget", "1000"], tmp_path)
    assert over_cap.returncode == 2
    assert over_cap.stdout == ""
    assert (
        over_cap.stderr.strip() == "oppscout scan: The budget $1000 is above this workspace's cap of $25 per analysis."
    )
    bad_name = scan(["r/no spaces"], tmp_path)
    assert bad_name.returncode == 2
    assert "is not a valid subreddit name" in bad_name.stderr
    bad_days = scan(["r/freelance", "--days", "0"], tmp_path)
    assert (bad_days.returncode, bad_days.stderr.strip()) == (
        2,
        "oppscout scan: --days must be more than 0 and at most 365; got 0.",
    )
