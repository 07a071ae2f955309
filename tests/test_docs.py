"""The documents a new user reads stay true to the code."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from oppscout.core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _env_example_module() -> object:
    spec = importlib.util.spec_from_file_location("env_example", ROOT / "scripts" / "env_example.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_env_example_lists_every_setting_with_its_default() -> None:
    expected = _env_example_module().render()  # type: ignore[attr-defined]
    assert (ROOT / ".env.example").read_text(encoding="utf-8") == expected, (
        "regenerate it: uv run python scripts/env_example.py > .env.example"
    )


def test_env_example_copied_to_env_gives_the_defaults() -> None:
    loaded = Settings(_env_file=ROOT / ".env.example")
    assert loaded == Settings(_env_file=None)


def test_the_readme_names_the_two_quick_start_commands_and_the_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^make demo\b", readme, flags=re.MULTILINE)
    assert re.search(r"^make test\b", readme, flags=re.MULTILINE)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_cli_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    source = (ROOT / "oppscout" / "cli.py").read_text(encoding="utf-8")
    commands = re.findall(r'\bsub\.add_parser\(\s*"([a-z-]+)"', source)
    assert {"demo", "chat", "worker", "doctor", "parse"} <= set(commands)
    missing = [c for c in commands if f"oppscout {c}" not in readme]
    assert not missing, f"commands missing from README.md: {missing}"
