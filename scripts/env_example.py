"""Write .env.example from the Settings model, so it always lists every setting with its default.

Run: uv run python scripts/env_example.py > .env.example   (tests/test_docs.py checks it is current)
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import SecretStr
from pydantic_core import to_jsonable_python

from oppscout.core.settings import Settings

HEADER = """# Every setting of Opportunity Scout with its default. Copy to .env and change what you need;
# environment variables of the same name win over this file. Secrets (tokens, keys, passwords)
# are read as secrets and never logged. Unset Redis and database URLs mean: an embedded Redis and
# SQLite in OPPSCOUT_DATA_DIR.
"""


def _value(default: Any) -> str:
    if default is None or isinstance(default, SecretStr):
        return ""
    plain = to_jsonable_python(default)
    if isinstance(plain, dict | list):
        return json.dumps(plain, separators=(",", ":"))
    if isinstance(plain, bool):
        return "true" if plain else "false"
    return str(plain)


def render() -> str:
    """The whole file."""
    lines = [HEADER]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if field.description:
            lines.append(f"# {field.description}")
        key = f"OPPSCOUT_{name.upper()}"
        value = _value(default)
        lines.append(f"{key}={value}" if value else f"# {key}=")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
