"""The two entry points a new user meets first: `oppscout demo` and `oppscout doctor`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def run(args: list[str], data_dir: Path, *, columns: int = 200) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPPSCOUT_DATA_DIR": str(data_dir), "COLUMNS": str(columns)}
    env.pop("OPPSCOUT_REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "oppscout.cli", *args], env=env, capture_output=True, text=True, timeout=180
    )


WHOLE_LINK = re.compile(r"^\s*(https://www\.reddit\.com/r/\w+/comments/[a-z0-9]+/(?:_/[a-z0-9]+/)?)\s*$", re.MULTILINE)


def test_demo_plays_a_conversation_and_prints_a_top_five_with_quotes_and_whole_links(tmp_path: Path) -> None:
    # 80 columns and stdout piped (not a terminal): what a CI log or `oppscout demo | less` shows.
    result = run(["demo"], tmp_path, columns=80)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    ranks = re.findall(r"^\s*([1-5])\. .+ · score (\d+)$", out, flags=re.MULTILINE)
    assert [r for r, _ in ranks] == ["1", "2", "3", "4", "5"]
    scores = [int(s) for _, s in ranks]
    assert scores == sorted(scores, reverse=True)
    assert out.count("“") >= 5
    # Every permalink is whole on a line of its own: nothing to re-join before clicking or copying.
    links = WHOLE_LINK.findall(out)
    assert len(links) >= 5, out
    assert len(re.findall(r"https://www\.reddit\.com/", out)) == len(links)
    assert "Full report:" in out
    report = re.search(r"^\s*(\S+\.md)\s*$", out, flags=re.MULTILINE)
    assert report is not None
    assert Path(report.group(1)).is_file()
    # The embedded Redis is stopped when the demo ends.
    assert not (tmp_path / "redis.url").exists()


def test_doctor_reports_each_part_and_passes_on_embedded_defaults(tmp_path: Path) -> None:
    result = run(["doctor"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    for part in ("redis", "database", "source", "llm", "transcriber"):
        assert re.search(rf"\s{part}\s", result.stdout), part
    assert "embedded Redis" in result.stdout


def test_doctor_exits_non_zero_when_a_configured_part_is_down(tmp_path: Path) -> None:
    env_dir = tmp_path
    env = {**os.environ, "OPPSCOUT_DATA_DIR": str(env_dir), "OPPSCOUT_REDIS_URL": "redis://127.0.0.1:1/0"}
    result = subprocess.run(
        [sys.executable, "-m", "oppscout.cli", "doctor"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert re.search(r"down\s+redis", result.stdout)


def test_the_demo_on_an_unpriced_local_model_says_why_once_and_keeps_logs_out_of_the_transcript(
    tmp_path: Path,
) -> None:
    from tests.fakes.openai_server import OpenAIServer

    server = OpenAIServer().start()
    try:
        env = {
            **os.environ,
            "OPPSCOUT_DATA_DIR": str(tmp_path),
            "COLUMNS": "200",
            "OPPSCOUT_OPENAI_BASE_URL": server.base_url,
            "OPPSCOUT_OPENAI_MODEL": "gemma-3-270m",
        }
        env.pop("OPPSCOUT_REDIS_URL", None)
        result = subprocess.run(
            [sys.executable, "-m", "oppscout.cli", "demo"], env=env, capture_output=True, text=True, timeout=180
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.count("the model 'gemma-3-270m' has no price") == 1
    assert "WARNING" not in result.stdout + result.stderr
    assert server.state.chats() == []
    assert "has no price" in (tmp_path / "oppscout.log").read_text(encoding="utf-8")
