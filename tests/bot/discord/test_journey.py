"""The whole Discord journey with a real arq worker: /scout → thread → Run → progress → warnings → summary → 👍."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import SecretStr

from oppscout.bot.discord.notifier import DiscordThreadNotifier
from oppscout.bot.render.embeds import MAX_EMBEDS, MAX_FIELD_VALUE, MAX_TOTAL_CHARS, embed_chars
from oppscout.core.analysis.engine import LocalEngine
from oppscout.core.contract import AnalysisStatus
from oppscout.core.db.repositories.feedback import FeedbackRepository
from oppscout.core.delivery import ConversationNotifier, FanoutNotifier
from oppscout.core.settings import Settings
from oppscout.jobs.sources.demo import DemoSource
from oppscout.jobs.worker import build_worker
from tests.bot.discord.conftest import OTHER_USER_ID, Gateway
from tests.bot.discord.helpers import custom_ids, texts, with_button
from tests.fakes.discord_server import FakeDiscord

REQUEST = "what are people struggling with in r/smallbusiness, last 30 days, budget $2"


@pytest.fixture
def discord_settings(settings: Settings, fake_discord: FakeDiscord) -> Settings:
    # Reddit calls priced at 8 cents, so the $2 budget crosses a cost-warning level during the run.
    return settings.model_copy(
        update={
            "discord_token": SecretStr("test-token"),
            "discord_api_base_url": fake_discord.base_url,
            "reddit_price_per_1000_calls_usd": Decimal("80"),
        }
    )


async def run_worker(gateway: Gateway) -> None:
    """A real arq worker in burst mode, delivering to Discord over REST only."""
    rt = gateway.runtime
    discord_notifier = DiscordThreadNotifier(rt.settings)
    notifier = FanoutNotifier([rt.publisher, ConversationNotifier(rt.database, {"discord": discord_notifier})])
    worker = build_worker(
        rt, source=DemoSource(), engine=LocalEngine(), notifier=notifier, burst=True, handle_signals=False
    )
    try:
        await worker.async_run()
    finally:
        await worker.close()
        await discord_notifier.aclose()


async def test_scout_to_summary_in_one_thread_through_a_real_worker(gateway: Gateway) -> None:
    server = gateway.server
    payload = await gateway.command("scout", {"request": REQUEST})
    question = (await server.wait_for(lambda: with_button(server, "oppscout:confirm:run")))[0]

    # Acknowledged first with a deferral (the "thinking…" state), before anything else was posted.
    first = server.callbacks(payload["token"])[0]
    assert first["type"] == 5
    # The response became the thread's starter message; the conversation continues in the thread.
    (thread,) = server.threads()
    original = server.messages[int(thread["id"])]
    assert "asked: what are people struggling with" in original["content"]
    assert thread["parent_id"] == gateway.channel["id"]
    assert int(question["channel_id"]) == int(thread["id"])
    assert "Estimate" in question["content"]
    assert custom_ids(question)[:3] == [
        f"oppscout:confirm:{a}:{payload['member']['user']['id']}" for a in ("run", "edit", "cancel")
    ]

    run_id = next(i for i in custom_ids(question) if ":run:" in i)
    click = await gateway.click(question, run_id)
    await server.wait_for(lambda: any(t.startswith("⏳") for t in texts(server, int(thread["id"]))))
    # The click was answered by taking the buttons off the question.
    assert server.callbacks(click["token"])[0]["type"] == 7
    assert custom_ids(server.messages[int(question["id"])]) == []

    await run_worker(gateway)
    await server.wait_for(lambda: with_button(server, "oppscout:vote:"))

    thread_texts = texts(server, int(thread["id"]))
    assert any(t.startswith("Starting") for t in thread_texts)
    # One progress message, edited in place from "queued" to done; never a second one.
    progress = [m for m in server.channel_messages(int(thread["id"])) if m["content"][:1] in ("⏳", "✅")]
    assert len(progress) == 1
    assert progress[0]["content"].startswith("✅ Done")
    assert len(server.calls("PATCH", f"/channels/{thread['id']}/messages/{progress[0]['id']}")) >= 2
    # Cost warnings are their own messages in the thread.
    assert any(t.startswith("💸") for t in thread_texts)
    # The summary: embeds within Discord's limits, the report attached, 👍/👎 per shown opportunity.
    (summary,) = with_button(server, "oppscout:vote:")
    assert int(summary["channel_id"]) == int(thread["id"])
    embeds = summary["embeds"]
    assert 2 <= len(embeds) <= MAX_EMBEDS
    assert sum(embed_chars(e) for e in embeds) <= MAX_TOTAL_CHARS
    assert all(len(f["value"]) <= MAX_FIELD_VALUE for e in embeds for f in e.get("fields", []))
    assert "r/smallbusiness" in embeds[0]["title"]
    # The report and the opportunity map are attached to the summary.
    report_name = next(name for name in summary["files"] if name.endswith(".md"))
    assert summary["files"][report_name].startswith(b"# Opportunity report: r/smallbusiness")
    assert summary["files"]["opportunity-map.png"].startswith(b"\x89PNG")
    votes = [i for i in custom_ids(summary) if i.endswith(":up")]
    assert len(votes) == len(embeds) - 1

    # Another member rates the first opportunity; it is stored as feedback.
    vote = await gateway.click(summary, votes[0], user_id=OTHER_USER_ID)
    await server.wait_for(lambda: server.callbacks(vote["token"]))
    thanks = server.callbacks(vote["token"])[0]
    assert thanks["data"]["flags"] & 64  # only the voter sees the thank-you
    assert "Thanks" in thanks["data"]["content"]
    analysis_id = votes[0].split(":")[2]
    async with gateway.runtime.database.unit_of_work() as session:
        tally = await FeedbackRepository(session).tally(analysis_id)
    assert tally[1][0] == 1
    assert (await gateway.runtime.service.get(analysis_id)).status == AnalysisStatus.COMPLETED
    # The worker never opened a gateway: everything it did went through REST routes.
    assert not server.calls("GET", "/gateway")
