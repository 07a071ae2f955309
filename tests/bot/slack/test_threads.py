"""The shared thread helper on Slack: one progress message per analysis whatever the timing, cancellation
reaching the thread while queued, and buttons retired when the conversation moves on by typed text."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from oppscout.bot.render.blockkit import RUN_ACTION, STOP_ACTION, stage_text
from oppscout.bot.slack.app import build_slack_notifier
from oppscout.core.contract import AnalysisStatus, Stage
from oppscout.core.db.tables import AnalysisRow
from oppscout.core.delivery import ConversationNotifier
from oppscout.core.events import StageEvent
from tests.bot.slack.conftest import SlackRig
from tests.fakes.slack_server import BOT_USER


def buttons(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]]


def progress_messages(rig: SlackRig, thread_ts: str) -> list[dict[str, Any]]:
    """Every message of the thread that is (or was) a progress message: it starts with ⏳ or carries Stop."""
    return [m for m in rig.thread_messages(thread_ts) if m["text"].startswith("⏳") or STOP_ACTION in buttons(m)]


async def test_twenty_threads_racing_an_instant_worker_each_get_exactly_one_progress_message(rig: SlackRig) -> None:
    # A worker's notifier, as `oppscout worker` builds it, answering the moment each analysis exists.
    worker = ConversationNotifier(rig.runtime.database, {"slack": build_slack_notifier(rig.settings)})
    threads = [f"1699999999.{n:06d}" for n in range(1, 21)]
    seen: set[str] = set()

    async def instant_worker() -> None:
        while len(seen) < len(threads):
            async with rig.runtime.database.unit_of_work() as session:
                ids = [r for r in (await session.execute(select(AnalysisRow.id))).scalars() if r not in seen]
            for analysis_id in ids:
                seen.add(analysis_id)
                await worker.publish(StageEvent(analysis_id=analysis_id, stage=Stage.REDDIT_COLLECTION))
            await asyncio.sleep(0)

    racing = asyncio.create_task(instant_worker())
    text = f"<@{BOT_USER}> r/freelance about invoicing, last 7 days, budget $0.50"
    mentions = [
        {"type": "app_mention", "user": "UALICE", "channel": "CGENERAL", "ts": ts, "text": text} for ts in threads
    ]
    await asyncio.gather(*(rig.send.event(mention) for mention in mentions))
    await asyncio.wait_for(racing, 30)
    stage = stage_text(Stage.REDDIT_COLLECTION.label)
    await rig.fake.wait_for(lambda f: all(any(m["text"] == stage for m in progress_messages(rig, t)) for t in threads))
    await rig.app.conversations.close()
    for ts in threads:
        shown = progress_messages(rig, ts)
        assert len(shown) == 1, [m["text"] for m in shown]
        assert shown[0]["text"] == stage  # the worker's edit, never a stale "queued"


async def test_cancelling_a_queued_analysis_by_text_ends_its_progress_message(rig: SlackRig) -> None:
    await rig.send.event({"type": "app_mention", "user": "UALICE", "channel": "CGENERAL", "ts": "1699999999.000100",
                          "text": f"<@{BOT_USER}> r/freelance, last 7 days, budget $0.50"})  # fmt: skip
    await rig.fake.wait_for(lambda f: any(m["text"].startswith("⏳ queued") for m in f.messages.values()))
    await rig.send.event({"type": "message", "user": "UALICE", "channel": "CGENERAL", "ts": "1699999999.000200",
                          "thread_ts": "1699999999.000100", "parent_user_id": BOT_USER, "text": "cancel"})  # fmt: skip
    await rig.fake.wait_for(lambda f: any(m["text"].startswith("⏹ cancelled") for m in f.messages.values()))
    await rig.fake.wait_for(lambda f: any(m["text"].startswith("Cancelled before") for m in f.messages.values()))
    (progress,) = [m for m in rig.thread_messages("1699999999.000100") if m["text"].startswith("⏹")]
    assert buttons(progress) == []  # no live Stop button on a cancelled analysis
    said = rig.texts("1699999999.000100")
    assert sum("Cancelled" in t for t in said) == 1  # the answer to "cancel", not a second note beside it
    assert any(t.startswith("Cancelled before it started") for t in said)
    async with rig.runtime.database.unit_of_work() as session:
        (status,) = (await session.execute(select(AnalysisRow.status))).scalars()
    assert status == AnalysisStatus.CANCELLED


async def test_typing_yes_retires_the_buttons_of_the_question(rig: SlackRig) -> None:
    await rig.send.event({"type": "app_mention", "user": "UALICE", "channel": "CGENERAL", "ts": "1699999999.000300",
                          "text": f"<@{BOT_USER}> r/freelance about invoicing, last 7 days, budget $2"})  # fmt: skip
    await rig.fake.wait_for(lambda f: any(RUN_ACTION in buttons(m) for m in f.messages.values()))
    question = next(m for m in rig.fake.messages.values() if RUN_ACTION in buttons(m))
    await rig.send.event({"type": "message", "user": "UALICE", "channel": "CGENERAL", "ts": "1699999999.000400",
                          "thread_ts": "1699999999.000300", "parent_user_id": BOT_USER, "text": "yes"})  # fmt: skip
    await rig.fake.wait_for(lambda f: any(m["text"].startswith("Starting") for m in f.messages.values()))
    assert buttons(rig.fake.messages[question["ts"]]) == []
    assert question["text"] == rig.fake.messages[question["ts"]]["text"]  # still readable
