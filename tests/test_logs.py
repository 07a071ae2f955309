"""Worker logs: JSON lines that carry the analysis, workspace and stage of the job."""

from __future__ import annotations

import io
import json
import logging

from oppscout.core.log_context import job_context, set_workspace
from oppscout.logs import configure


def test_every_line_of_a_job_carries_its_analysis_workspace_and_stage() -> None:
    out = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure("INFO", "json", stream=out)
    log = logging.getLogger("oppscout.test.logs")
    # Other tests' servers may reconfigure logging; this logger's own level keeps the test independent.
    log.setLevel(logging.INFO)
    log.disabled = False
    with job_context("a1b2", "reddit-collection"):
        set_workspace("T123")
        log.info("collected %d posts", 42)
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("stage failed")
    log.info("outside any job")
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["message"] == "collected 42 posts"
    assert (lines[0]["analysis_id"], lines[0]["workspace"], lines[0]["stage"]) == ("a1b2", "T123", "reddit-collection")
    assert lines[1]["analysis_id"] == "a1b2"
    assert "ValueError: boom" in lines[1]["error"]
    assert "analysis_id" not in lines[2]
