"""``oppscout signals FILE``: JSON lines in, one verdict per line out, in the same order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oppscout.cli import SIGNALS_BATCH, main


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
    assert rows[1]["pain"] is False and rows[1]["categories"] == [] and rows[1]["score"] < 0.5


def test_order_is_kept_across_batches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Lines are classified in batches of SIGNALS_BATCH; the output must still follow the input.
    posts = [
        {
            "id": f"q{i}",
            "title": "Is there an app that tracks unpaid invoices?" if i % 2 else "Our team photos",
            "body": "",
        }
        for i in range(SIGNALS_BATCH + 7)
    ]
    source = tmp_path / "many.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in posts), encoding="utf-8")
    assert main(["signals", str(source)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in rows] == [p["id"] for p in posts]
    assert [r["pain"] for r in rows] == [i % 2 == 1 for i in range(len(posts))]


def test_a_malformed_line_is_reported_with_its_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text('{"id": "ok", "body": "fine"}\n{"title": "no id"}\n', encoding="utf-8")
    assert main(["signals", str(source)]) == 2
    out, err = capsys.readouterr()
    assert "line 2" in err
    # The verdict for the good line before it is still written, not lost with the batch.
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["ok"]


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["signals", str(tmp_path / "nope.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err
