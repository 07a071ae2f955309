"""The app manifest in the repo asks Slack for everything the app listens to and calls."""

from __future__ import annotations

import re
from pathlib import Path

from oppscout.bot.slack.listeners import COMMAND
from oppscout.core.settings import Settings

MANIFEST = Path(__file__).resolve().parents[3] / "slack" / "manifest.yml"


def items() -> set[str]:
    """Every list item of the manifest (scopes, events), comments dropped."""
    return {m.group(1) for m in re.finditer(r"^\s*- ([\w:./]+)", MANIFEST.read_text(encoding="utf-8"), re.M)}


def test_manifest_has_every_scope_and_event_the_app_needs() -> None:
    listed = items()
    events = {"app_mention", "app_home_opened", "message.channels", "message.groups", "message.im", "message.mpim"}
    # chat.postMessage/update/postEphemeral, conversations.open, files upload, audio download, /scout.
    scopes = {"chat:write", "im:write", "files:write", "files:read", "commands", "app_mentions:read", "im:history",
              "channels:history", "groups:history"}  # fmt: skip
    assert events <= listed
    assert scopes <= listed


def test_manifest_points_command_events_and_interactivity_at_the_endpoint() -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    assert f"command: {COMMAND}" in text
    path = Settings(_env_file=None).slack_events_path
    urls = re.findall(r"(?:url|request_url): (\S+)", text)
    assert len(urls) == 3  # the slash command, the Events API and interactivity
    assert all(url.endswith(path) for url in urls)
    assert "home_tab_enabled: true" in text
    assert re.search(r"interactivity:\s+is_enabled: true", text)
