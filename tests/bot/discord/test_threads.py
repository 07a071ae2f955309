"""The shared thread helper on Discord: one progress message per scan whatever the worker's timing,
asking back in place, and buttons retired when the conversation moves on by typed text."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from oppscout.bot.discord.handlers import ASK_IN_PLACE
from oppscout.bot.discord.notifier import DiscordThreadNotifier
from oppscout.core.contract import Stage
from oppscout.core.db.tables import AnalysisRow
from oppscout.core.delivery import ConversationNotifier
from oppscout.core.events import StageEvent
from tests.bot.discord.conftest import GUILD_ID, USER_ID, Gateway
from tests.bot.discord.helpers import custom_ids, texts, with_button
from tests.fakes.discord_gateway import BOT_USER_ID

MENTION = f"<@{BOT_USER_ID}>"
STAGE = f"⏳ {Stage.REDDIT_COLLECTION.label}…"


def progress(texts_of_thread: list[str]) -> list[str]:
    return [t for t in texts_of_thread if t.startswith("⏳")]


async def test_twenty_scans_racing_an_instant_worker_each_get_exactly_one_progress_message(gateway: Gateway) -> None:
    server = gateway.server
    worker = ConversationNotifier(
        gateway.runtime.database, {"discord": DiscordThreadNotifier(gateway.runtime.settings)}
    )
    seen: set[str] = set()

    async def instant_worker() -> None:
        while len(seen) < 20:
            async with gateway.runtime.database.unit_of_work() as session:
                ids = [r for r in (await session.execute(select(AnalysisRow.id))).scalars() if r not in seen]
            for analysis_id in ids:
                seen.add(analysis_id)
                await worker.publish(StageEvent(analysis_id=analysis_id, stage=Stage.REDDIT_COLLECTION))
            await asyncio.sleep(0)

    racing = asyncio.create_task(instant_worker())
    for n in range(20):
        await gateway.command("scout-scan", {"subreddits": f"freelance, sub{n}", "budget": 0.5})
    await asyncio.wait_for(racing, 30)
    await gateway.settle()
    threads = await server.wait_for(lambda: len(server.threads()) == 20 and server.threads())
    await server.wait_for(lambda: all(STAGE in texts(server, int(t["id"])) for t in threads))
    for thread in threads:
        shown = progress(texts(server, int(thread["id"])))
        assert shown == [STAGE], shown  # one message, the worker's edit; never a stale "queued" beside it
    assert not server.calls("DELETE", "/messages/")  # nothing flashed and was deleted


async def test_a_bare_mention_is_answered_in_place_without_a_thread(gateway: Gateway) -> None:
    server = gateway.server
    for content in (MENTION, f"{MENTION} blorp"):
        message = server.message_create(channel_id=int(gateway.channel["id"]), user_id=USER_ID, guild_id=GUILD_ID,
                                        mentions_bot=True, content=content)  # fmt: skip
        await gateway.dispatch("MESSAGE_CREATE", message)
    await gateway.settle()
    assert server.threads() == []
    answers = texts(server, int(gateway.channel["id"]))
    assert any(a.startswith("I find product opportunities") for a in answers)  # the bare mention gets help
    assert answers.count(ASK_IN_PLACE) == 1  # the line with nothing to look for is asked back


async def test_typing_yes_retires_the_buttons_of_the_question(gateway: Gateway) -> None:
    server = gateway.server
    await gateway.command("scout", {"request": "r/smallbusiness about invoicing, budget $5"})
    question = (await server.wait_for(lambda: with_button(server, "oppscout:confirm:run")))[0]
    thread = server.channels[int(question["channel_id"])]
    await gateway.dispatch("THREAD_CREATE", {**thread, "newly_created": True})  # as Discord tells the bot of its thread
    reply = server.message_create(channel_id=int(thread["id"]), user_id=USER_ID, guild_id=GUILD_ID,
                                  mentions_bot=True, content=f"{MENTION} yes")  # fmt: skip
    await gateway.dispatch("MESSAGE_CREATE", reply)
    await server.wait_for(lambda: any(t.startswith("Starting") for t in texts(server, int(thread["id"]))))
    await gateway.settle()
    assert custom_ids(server.messages[int(question["id"])]) == []


async def test_an_idle_worker_leaves_one_queued_message_that_cancelling_ends(gateway: Gateway) -> None:
    server = gateway.server
    await gateway.command("scout-scan", {"subreddits": "freelance", "budget": 0.5})
    (thread,) = await server.wait_for(server.threads)
    thread_id = int(thread["id"])
    await server.wait_for(lambda: progress(texts(server, thread_id)))
    await gateway.settle()
    # No worker picks the job up: the thread shows its place in line, once.
    (queued,) = [m for m in server.channel_messages(thread_id) if m["content"].startswith("⏳")]
    assert queued["content"].startswith("⏳ queued")

    cancel = await gateway.command("scout-cancel", channel=thread)
    await server.wait_for(lambda: server.callbacks(cancel["token"]))
    await server.wait_for(lambda: server.messages[int(queued["id"])]["content"].startswith("⏹"))
    await gateway.settle()
    ended = server.messages[int(queued["id"])]
    assert ended["content"].startswith("⏹ Cancelled")
    assert custom_ids(ended) == []  # no live Stop button on a cancelled analysis
    assert progress(texts(server, thread_id)) == []  # nothing left saying "queued"
