"""Managing watches from chat: the phrasings people use and what they get back."""

from __future__ import annotations

import pytest

from oppscout.core.watches import WatchSpec
from oppscout.core.watches.commands import WatchCommand, WatchCommands, match_watch_command
from tests.core.watches.conftest import OWNER, Watches


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("list watches", WatchCommand("list")),
        ("/scout show my watches please", WatchCommand("list", mine_only=True)),
        ("what are the watches here?", WatchCommand("list")),
        ("pause watch 3", WatchCommand("pause", 3)),
        ("Stop watch #12.", WatchCommand("pause", 12)),
        ("resume watch no. 4", WatchCommand("resume", 4)),
        ("please delete watch number 7", WatchCommand("delete", 7)),
        ("my email is ana@example.com", WatchCommand("email", address="ana@example.com")),
        ("email me at bo@example.org", WatchCommand("email", address="bo@example.org")),
        ("watch r/SaaS for churn and DM me above 70, daily", None),
        ("stop", None),
        ("what are people struggling with in r/freelance", None),
    ],
)
def test_phrasings(text: str, expected: WatchCommand | None) -> None:
    assert match_watch_command(text) == expected


async def test_list_pause_resume_delete_from_chat(watches: Watches) -> None:
    commands = WatchCommands(watches.service)
    view = await watches.service.create(OWNER, WatchSpec(subreddits=["SaaS"], keywords=["churn"]))
    assert f"#{view.id} r/SaaS · churn: daily" in (await commands.answer(OWNER, "list my watches") or "")
    assert (await commands.answer(OWNER, f"pause watch {view.id}") or "").startswith(f"Paused watch #{view.id}")
    assert "(paused)" in (await commands.answer(OWNER, "list watches") or "")
    assert "its next run starts now" in (await commands.answer(OWNER, f"resume watch {view.id}") or "")
    assert (
        await commands.answer(OWNER, "pause watch 999")
        == "There is no watch #999 here. Say “list watches” to see them."
    )
    assert (await commands.answer(OWNER, f"delete watch {view.id}") or "").startswith("Deleted")
    assert await commands.answer(OWNER, "watch r/SaaS daily") is None
