"""Worker logs: JSON lines that carry the analysis, workspace and stage of the job."""

from __future__ import annotations

import json
import logging

import pytest

from oppscout.core.log_context import job_context, set_workspace
from oppscout.logs import configure


def test_every_line_of_a_job_carries_its_analysis_workspace_and_stage(capsys: pytest.CaptureFixture[str]) -> None:
    configure("INFO", "json")
    log = logging.getLogger("oppscout.test")
    with job_context("a1b2", "reddit-collection"):
        set_workspace("T123")
        log.info("collected %d posts", 42)
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("stage failed")
    log.info("outside any job")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["message"] == "collected 42 posts"
    assert (lines[0]["analysis_id"], lines[0]["workspace"], lines[0]["stage"]) == ("a1b2", "T123", "reddit-collection")
    assert lines[1]["analysis_id"] == "a1b2"
    assert "ValueError: boom" in lines[1]["error"]
    assert "analysis_id" not in lines[2]
    logging.getLogger().handlers.clear()
