"""Every slash command, fed as raw INTERACTION_CREATE payloads to discord.py, answered through the fake REST API."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from oppscout.bot.discord.handlers import ALREADY_ANSWERED
from oppscout.bot.discord.scans import EXPIRED
from oppscout.core.contract import AnalysisStatus
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.spend import SpendGovernor
from tests.bot.discord.conftest import GUILD_ID, USER_ID, Gateway
from tests.bot.discord.helpers import custom_ids, texts, with_button

COMMANDS = {"scout", "scout-scan", "scout-status", "scout-cancel", "scout-watch", "scout-spend", "scout-help"}


async def analyses(gateway: Gateway) -> list[str]:
    async with gateway.runtime.database.unit_of_work() as session:
        return [r.id for r in await AnalysisRepository(session).list_recent(limit=50)]


async def answer(gateway: Gateway, payload: dict[str, Any]) -> dict[str, Any]:
    """The interaction's visible answer: its callback message, or its first follow-up."""
    server = gateway.server
    token = str(payload["token"])
    await server.wait_for(lambda: server.callbacks(token))
    callback = server.callbacks(token)[0]
    if callback["type"] == 4:
        return dict(callback["data"])
    followups = await server.wait_for(lambda: server.calls("POST", f"/webhooks/900000000000000002/{token}"))
    return dict(followups[0].json)


async def scan_in_thread(gateway: Gateway, **options: object) -> tuple[dict[str, Any], dict[str, Any]]:
    payload = await gateway.command("scout-scan", {"subreddits": "smallbusiness, r/freelance", **options})
    thread = (await gateway.server.wait_for(gateway.server.threads))[0]
    await gateway.server.wait_for(lambda: any(t.startswith("⏳") for t in texts(gateway.server, int(thread["id"]))))
    return payload, thread


async def test_all_commands_are_registered_with_discord(gateway: Gateway) -> None:
    registered = {c["name"]: c for c in gateway.server.commands}
    assert set(registered) == COMMANDS
    scan_options = {o["name"]: o for o in registered["scout-scan"]["options"]}
    assert scan_options["subreddits"]["autocomplete"] is True
    assert scan_options["subreddits"]["required"] is True
    assert [c["value"] for c in scan_options["window"]["choices"]][:3] == [1, 7, 14]
    assert {"keywords", "budget"} <= set(scan_options)


async def test_scan_starts_at_once_in_a_thread_with_the_fields_given(gateway: Gateway) -> None:
    payload, thread = await scan_in_thread(gateway, window=14, keywords="invoicing, late payments", budget=0.5)
    assert gateway.server.callbacks(str(payload["token"]))[0]["type"] == 5
    started = texts(gateway.server, int(thread["id"]))
    assert started[0].startswith("Starting: r/smallbusiness, r/freelance about invoicing, late payments, last 14 days")
    (analysis_id,) = await analyses(gateway)
    response = await gateway.runtime.service.get(analysis_id)
    assert response.status == AnalysisStatus.QUEUED
    assert response.metadata.keywords == ["invoicing", "late payments"]
    assert response.cost_breakdown.budget == 0.5
    assert response.metadata.platform == "discord"


async def test_scan_with_a_bad_subreddit_explains_privately_and_starts_nothing(gateway: Gateway) -> None:
    payload = await gateway.command("scout-scan", {"subreddits": "smallbusiness, not a-sub!"})
    reply = await answer(gateway, payload)
    assert "not a valid subreddit name" in str(reply["content"])
    assert int(str(reply["flags"])) & 64
    assert gateway.server.threads() == []
    assert await analyses(gateway) == []


async def test_scan_over_the_budget_cap_is_refused(gateway: Gateway) -> None:
    payload = await gateway.command("scout-scan", {"subreddits": "SaaS", "budget": 500.0})
    reply = await answer(gateway, payload)
    assert "above this workspace's cap" in str(reply["content"])
    assert await analyses(gateway) == []


async def test_subreddit_autocomplete_offers_names_this_server_used(gateway: Gateway) -> None:
    await scan_in_thread(gateway)
    payload = gateway.server.interaction(
        4,
        {
            "id": "1",
            "name": "scout-scan",
            "type": 1,
            "options": [{"name": "subreddits", "type": 3, "value": "SaaS, free", "focused": True}],
        },
        channel=gateway.channel,
        user_id=USER_ID,
        guild_id=GUILD_ID,
    )
    await gateway.dispatch("INTERACTION_CREATE", payload)
    callback = (await gateway.server.wait_for(lambda: gateway.server.callbacks(payload["token"])))[0]
    assert callback["type"] == 8
    assert [c["value"] for c in callback["data"]["choices"]] == ["SaaS, freelance"]


async def test_status_and_cancel_in_the_thread_of_an_analysis(gateway: Gateway) -> None:
    _, thread = await scan_in_thread(gateway)
    status = await gateway.command("scout-status", channel=thread)
    assert "is queued" in str((await answer(gateway, status))["content"])
    cancel = await gateway.command("scout-cancel", channel=thread)
    assert "Cancelled before it started" in str((await answer(gateway, cancel))["content"])
    (analysis_id,) = await analyses(gateway)
    assert (await gateway.runtime.service.get(analysis_id)).status == AnalysisStatus.CANCELLED


async def test_status_in_the_channel_finds_the_askers_latest_analysis(gateway: Gateway) -> None:
    await scan_in_thread(gateway)
    status = await gateway.command("scout-status")
    assert "r/smallbusiness, r/freelance is queued" in str((await answer(gateway, status))["content"])
    someone_else = await gateway.command("scout-status", user_id=USER_ID + 99)
    assert "no analysis here yet" in str((await answer(gateway, someone_else))["content"])


async def test_status_of_an_unknown_id_says_so(gateway: Gateway) -> None:
    status = await gateway.command("scout-status", {"analysis": "f" * 32})
    reply = await answer(gateway, status)
    assert "no analysis with that id" in str(reply["content"])


async def test_help_watch_and_spend_answer(gateway: Gateway) -> None:
    help_reply = await answer(gateway, await gateway.command("scout-help"))
    assert "/scout-scan" in str(help_reply["content"])
    assert int(str(help_reply["flags"])) & 64
    watch = await answer(gateway, await gateway.command("scout-watch", {"request": "r/SaaS churn weekly"}))
    assert watch["content"]
    spend = await answer(gateway, await gateway.command("scout-spend"))
    assert "spen" in str(spend["content"]).lower()


async def test_scout_in_a_dm_talks_in_the_dm(gateway: Gateway) -> None:
    server = gateway.server
    dm: dict[str, Any] = {"id": str(server.snowflake()), "type": 1, "recipients": []}
    server.channels[int(dm["id"])] = dm
    await gateway.command("scout", {"request": "r/SaaS about churn, last 7 days, budget $5"}, channel=dm)
    question = (await server.wait_for(lambda: with_button(server, "oppscout:confirm:run")))[0]
    assert int(question["channel_id"]) == int(dm["id"])
    assert server.threads() == []


async def test_edit_button_opens_a_form_and_the_change_is_confirmed_again(gateway: Gateway) -> None:
    server = gateway.server
    await gateway.command("scout", {"request": "r/smallbusiness about invoicing, last 14 days, budget $5"})
    question = (await server.wait_for(lambda: with_button(server, "oppscout:confirm:edit")))[0]
    edit_id = next(i for i in custom_ids(question) if ":edit:" in i)
    click = await gateway.click(question, edit_id)
    modal = (await server.wait_for(lambda: server.callbacks(click["token"])))[0]
    assert modal["type"] == 9
    submit = server.interaction(
        5,
        {
            "custom_id": modal["data"]["custom_id"],
            "components": [
                {"type": 1, "components": [{"type": 4, "custom_id": f"oppscout:edit:{name}", "value": value}]}
                for name, value in (
                    ("subreddits", "r/smallbusiness"),
                    ("keywords", "$5 tools, late payments in 2 weeks"),
                    ("days", "30"),
                    ("budget", "3"),
                )
            ],
        },
        channel=server.channels[int(question["channel_id"])],
        user_id=USER_ID,
        guild_id=GUILD_ID,
        message=question,
    )
    await gateway.dispatch("INTERACTION_CREATE", submit)
    await server.wait_for(
        lambda: (
            len(with_button(server, "oppscout:confirm:run")) == 1
            and "$3" in str(with_button(server, "oppscout:confirm:run")[0]["content"])
        )
    )
    # The old question lost its buttons; the new one asks about the $3 budget, and the fields stayed
    # fields: "$5" is part of a keyword, "in 2 weeks" does not change the window.
    assert custom_ids(server.messages[int(question["id"])]) == []
    new_question = with_button(server, "oppscout:confirm:run")[0]["content"]
    assert "about $5 tools, late payments in 2 weeks, last 30 days, budget $3.00" in new_question
    assert await analyses(gateway) == []


async def test_cancel_button_drops_the_request(gateway: Gateway) -> None:
    server = gateway.server
    await gateway.command("scout", {"request": "r/smallbusiness about invoicing, budget $5"})
    question = (await server.wait_for(lambda: with_button(server, "oppscout:confirm:cancel")))[0]
    await gateway.click(question, next(i for i in custom_ids(question) if ":cancel:" in i))
    await server.wait_for(lambda: any("dropped it" in t for t in texts(server, int(question["channel_id"]))))
    assert await analyses(gateway) == []


async def test_status_and_cancel_autocomplete_the_askers_analyses(gateway: Gateway) -> None:
    await scan_in_thread(gateway)
    (analysis_id,) = await analyses(gateway)
    for command in ("scout-status", "scout-cancel"):
        for user_id, expected in ((USER_ID, [analysis_id]), (USER_ID + 5, [])):
            payload = gateway.server.interaction(
                4,
                {
                    "id": "1",
                    "name": command,
                    "type": 1,
                    "options": [{"name": "analysis", "type": 3, "value": "", "focused": True}],
                },
                channel=gateway.channel,
                user_id=user_id,
                guild_id=GUILD_ID,
            )
            await gateway.dispatch("INTERACTION_CREATE", payload)
            await gateway.settle()
            (callback,) = gateway.server.callbacks(payload["token"])
            choices = callback["data"]["choices"]
            assert [c["value"] for c in choices] == expected
            if expected:
                assert choices[0]["name"].startswith("r/smallbusiness, r/freelance · queued")


async def test_a_scan_above_the_auto_approve_budget_is_confirmed_with_an_estimate(gateway: Gateway) -> None:
    server = gateway.server
    await gateway.command("scout-scan", {"subreddits": "smallbusiness", "budget": 5.0})
    question = (await server.wait_for(lambda: with_button(server, "oppscout:scan:")))[0]
    assert "Estimate:" in question["content"]
    assert "budget $5" in question["content"]
    assert await analyses(gateway) == []
    run_id = next(i for i in custom_ids(question) if i.endswith(":run"))
    shown = copy.deepcopy(question)  # both clicks land on the message as the user saw it, buttons live
    await gateway.click(shown, run_id)
    again = await gateway.click(shown, run_id)  # a double click
    await server.wait_for(lambda: server.callbacks(again["token"]))
    await gateway.settle()
    (analysis_id,) = await analyses(gateway)
    assert (await gateway.runtime.service.get(analysis_id)).cost_breakdown.budget == 5
    assert server.callbacks(again["token"])[0]["data"]["content"] == ALREADY_ANSWERED
    assert sum(t.startswith("Starting") for t in texts(server, int(question["channel_id"]))) == 1


async def test_a_cancelled_or_expired_scan_confirmation_starts_nothing(gateway: Gateway) -> None:
    server = gateway.server
    await gateway.command("scout-scan", {"subreddits": "smallbusiness", "budget": 5.0})
    question = (await server.wait_for(lambda: with_button(server, "oppscout:scan:")))[0]
    await gateway.click(question, next(i for i in custom_ids(question) if i.endswith(":cancel")))
    await gateway.settle()
    assert any("dropped it" in t for t in texts(server, int(question["channel_id"])))
    # A confirmation from before a restart: its token is unknown to this process.
    stale_id = f"oppscout:scan:{'0' * 16}:run"
    stale = server.message_create(channel_id=int(gateway.channel["id"]), user_id=USER_ID, guild_id=GUILD_ID)
    stale["components"] = [{"type": 1, "components": [{"type": 2, "style": 3, "label": "Run", "custom_id": stale_id}]}]
    click = await gateway.click(stale, stale_id)
    await gateway.settle()
    followup = server.calls("POST", f"/webhooks/900000000000000002/{click['token']}")[0].json
    assert followup["content"] == EXPIRED
    assert await analyses(gateway) == []


async def test_every_discord_way_in_meets_the_same_monthly_cap(gateway: Gateway) -> None:
    server = gateway.server
    await SpendGovernor(gateway.runtime.database, gateway.runtime.settings).set_caps(
        str(GUILD_ID), workspace_monthly=Decimal("0.10"), user_monthly=None
    )
    refusal = "That needs a budget of $0.50, but this workspace has only $0.10 left of its $0.10 cap"
    scan = await gateway.command("scout-scan", {"subreddits": "smallbusiness", "budget": 0.5})
    reply = await answer(gateway, scan)
    # Refused privately, before any thread is opened.
    assert str(reply["content"]).startswith(refusal)
    assert int(str(reply["flags"])) & 64
    assert server.threads() == []
    typed = await gateway.command("scout", {"request": "r/smallbusiness about invoicing, budget $0.50"})
    await gateway.settle()
    thread = (await server.wait_for(server.threads))[0]
    await server.wait_for(lambda: any(refusal in t for t in texts(server, int(thread["id"]))))
    assert not any(t.startswith("Starting") for t in texts(server, int(thread["id"])))
    assert typed["token"]
    assert await analyses(gateway) == []
