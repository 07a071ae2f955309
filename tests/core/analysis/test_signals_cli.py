"""``oppscout signals FILE``: JSON lines in, one verdict per line out, in the same order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oppscout.cli import main


def test_writes_one_verdict_per_input_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "posts.jsonl"
    source.write_text(
        json.dumps({"id": "p1", "title": "Clients never pay on time", "body": "Is there a tool that chases them?"})
        + "\n\n"
        + json.dumps({"id": "p2", "body": "We just hit $10k MRR, thanks all!"})
        + "\n",
        encoding="utf-8",
    )
    assert main(["signals", str(source)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in rows] == ["p1", "p2"]
    assert rows[0]["pain"] is True
    assert "solution_request" in rows[0]["categories"]
    assert rows[1] == {"id": "p2", "pain": False, "categories": [], "score": 0.0}


def test_a_malformed_line_is_reported_with_its_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text('{"id": "ok", "body": "fine"}\n{"title": "no id"}\n', encoding="utf-8")
    assert main(["signals", str(source)]) == 2
    assert "line 2" in capsys.readouterr().err


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["signals", str(tmp_path / "nope.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err
