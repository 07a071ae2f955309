"""A real Node front end (axios, socket.io-client, zod) against `oppscout web` + a worker: scripts/contract-check."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def test_the_node_client_validates_every_answer_and_event_against_the_generated_schemas(tmp_path: Path) -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed (CI installs Debian's nodejs and npm); scripts/contract-check")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPPSCOUT_")}
    env["PYTHON"] = sys.executable
    result = subprocess.run(
        [str(ROOT / "scripts" / "contract-check")], env=env, capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "checks passed" in result.stdout
