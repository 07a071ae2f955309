"""The whole Slack journey with a real arq worker: /scout → confirmation → Run → progress → cost warning → summary."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from oppscout.bot.render.blockkit import (
    CANCEL_ACTION,
    EDIT_ACTION,
    EDIT_MODAL,
    RUN_ACTION,
    STOP_ACTION,
    VOTE_UP_ACTION,
)
from oppscout.bot.slack.app import build_slack_notifier
from oppscout.core.analysis.engine import LocalEngine
from oppscout.core.contract import AnalysisStatus, Stage
from oppscout.core.db.repositories.feedback import FeedbackRepository
from oppscout.core.db.tables import AnalysisRow
from oppscout.core.delivery import ConversationNotifier, FanoutNotifier
from oppscout.core.settings import Settings
from oppscout.jobs.queue import stage_job_id
from oppscout.jobs.sources.demo import DemoSource
from oppscout.jobs.worker import build_worker
from tests.bot.slack.conftest import SlackRig, open_rig
from tests.fakes.slack_server import TEAM, FakeSlack

REQUEST = "what are people struggling with in r/smallbusiness, last 30 days, budget $2"


def buttons(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message["blocks"] or [] if b["type"] == "actions" for e in b["elements"]]


@pytest.fixture
async def paid_rig(settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[SlackRig]:
    # Reddit calls priced at 6 cents each, so the $2 budget crosses a warning level during the run.
    async with open_rig(settings, fake_slack, reddit_price_per_1000_calls_usd=Decimal("60")) as opened:
        yield opened


async def run_worker(rig: SlackRig) -> None:
    notifier = FanoutNotifier(
        [
            rig.runtime.publisher,
            ConversationNotifier(rig.runtime.database, {"slack": build_slack_notifier(rig.settings)}),
        ]
    )
    worker = build_worker(
        rig.runtime, source=DemoSource(), engine=LocalEngine(), notifier=notifier, burst=True, handle_signals=False
    )
    try:
        await worker.async_run()
    finally:
        await worker.close()


async def confirmation(rig: SlackRig) -> tuple[str, dict[str, Any]]:
    await rig.send.command(REQUEST, user="UALICE", channel="CGENERAL")
    await rig.fake.wait_for(lambda f: any(RUN_ACTION in buttons(m) for m in f.messages.values()))
    root = next(iter(rig.fake.messages))
    return root, next(m for m in rig.fake.messages.values() if RUN_ACTION in buttons(m))


async def test_slash_command_to_summary_with_files_through_a_real_worker(paid_rig: SlackRig) -> None:
    rig = paid_rig
    root, question = await confirmation(rig)
    assert question["thread_ts"] == root

    sent = await rig.send.click(question, RUN_ACTION, "yes")
    assert sent.status == 200
    await rig.fake.wait_for(lambda f: any(m["text"].startswith("⏳ queued") for m in f.messages.values()))
    # The pressed confirmation keeps its question and loses its buttons, saying who ran it.
    assert buttons(rig.fake.messages[question["ts"]]) == []
    assert "<@UALICE> pressed Run" in str(rig.fake.messages[question["ts"]]["blocks"])
    progress_ts = next(ts for ts, m in rig.fake.messages.items() if m["text"].startswith("⏳ queued"))

    await run_worker(rig)
    await rig.fake.wait_for(lambda f: bool(f.of("files.completeUploadExternal")))

    texts = rig.texts(root)
    assert any(t.startswith("Starting") for t in texts)
    # One progress message, edited in place to its final state; no second progress message.
    assert sum(t.startswith("⏳") or t.startswith("✅") for t in texts) == 1
    progress = rig.fake.messages[progress_ts]
    assert progress["edits"] >= 2
    assert progress["text"].startswith("✅ done")
    assert buttons(progress) == []  # nothing left to stop
    # Cost warnings are their own replies.
    warnings = [t for t in texts if t.startswith("💸")]
    assert warnings
    assert "of the budget" in warnings[0]
    # The summary: Block Kit with the top opportunities, each with 👍/👎.
    summary = next(m for m in rig.thread_messages(root) if m["blocks"] and m["blocks"][0]["type"] == "header")
    assert "r/smallbusiness" in summary["blocks"][0]["text"]["text"]
    assert VOTE_UP_ACTION in buttons(summary)
    assert "score" in str(summary["blocks"][1]["text"]["text"])
    # The Markdown report and the opportunity map, uploaded into the thread.
    complete = rig.fake.of("files.completeUploadExternal")[0].args
    assert complete["channel_id"] == "CGENERAL"
    assert complete["thread_ts"] == root
    assert len(complete["files"]) == 2
    uploaded = [data for data in rig.fake.uploads.values() if data]
    assert any(data.startswith(b"# Opportunity report: r/smallbusiness") for data in uploaded)
    assert any(data.startswith(b"\x89PNG") for data in uploaded)  # the opportunity map
    # Every post of the journey after the root sits in the root's thread.
    assert all(c.args.get("thread_ts") == root for c in rig.fake.of("chat.postMessage")[1:])

    vote_value = next(
        e["value"]
        for b in summary["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == VOTE_UP_ACTION
    )
    await rig.send.click(summary, VOTE_UP_ACTION, vote_value, user="UBOB")
    await rig.fake.wait_for(lambda f: any("Thanks" in c.args.get("text", "") for c in f.of("chat.postEphemeral")))
    async with rig.runtime.database.unit_of_work() as session:
        tally = await FeedbackRepository(session).tally(vote_value.split(":")[0])
    assert tally[1][0] == 1
    response = await rig.runtime.service.get(vote_value.split(":")[0])
    assert response.status == AnalysisStatus.COMPLETED


async def test_double_clicked_run_starts_one_analysis(rig: SlackRig) -> None:
    _, question = await confirmation(rig)
    await rig.send.click(question, RUN_ACTION, "yes")
    await rig.send.click(question, RUN_ACTION, "yes")
    await rig.fake.wait_for(
        lambda f: any("already decided" in c.args.get("text", "") for c in f.of("chat.postEphemeral"))
    )
    await rig.fake.wait_for(lambda f: any(m["text"].startswith("⏳ queued") for m in f.messages.values()))
    async with rig.runtime.database.unit_of_work() as session:
        count = (await session.execute(select(func.count()).select_from(AnalysisRow))).scalar_one()
    assert count == 1


async def test_cancel_button_drops_the_request(rig: SlackRig) -> None:
    _, question = await confirmation(rig)
    await rig.send.click(question, CANCEL_ACTION, "cancel")
    await rig.fake.wait_for(lambda f: any("dropped it" in m["text"] for m in f.messages.values()))
    assert buttons(rig.fake.messages[question["ts"]]) == []
    assert not any(m["text"].startswith("⏳") for m in rig.fake.messages.values())


async def test_edit_opens_a_prefilled_modal_and_its_answer_updates_the_request(rig: SlackRig) -> None:
    root, question = await confirmation(rig)
    await rig.send.click(question, EDIT_ACTION, "edit")
    await rig.fake.wait_for(lambda f: bool(f.of("views.open")))
    view = rig.fake.of("views.open")[0].args["view"]
    fields = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"]}
    assert fields["subreddits"] == "r/smallbusiness"
    assert fields["days"] == "30"
    assert fields["budget"] == "2"
    state = {
        "values": {
            "subreddits": {"value": {"type": "plain_text_input", "value": "r/freelance"}},
            "keywords": {"value": {"type": "plain_text_input", "value": "invoicing"}},
            "days": {"value": {"type": "plain_text_input", "value": "30"}},
            "budget": {"value": {"type": "plain_text_input", "value": "3"}},
        }
    }
    submission = {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": "UALICE", "team_id": TEAM},
        "api_app_id": "A0001",
        "view": {**view, "id": "VMODAL", "hash": "h1", "state": state, "callback_id": EDIT_MODAL},
    }
    sent = await rig.send.action(submission)
    assert sent.status == 200
    await rig.fake.wait_for(
        lambda f: any("r/freelance" in m["text"] and RUN_ACTION in buttons(m) for m in f.messages.values())
    )
    new_question = next(m for m in rig.fake.messages.values() if "r/freelance" in m["text"])
    assert new_question["thread_ts"] == root
    assert "$3" in new_question["text"]
    assert buttons(rig.fake.messages[question["ts"]]) == []


async def test_edit_modal_fields_stay_fields_and_are_never_read_as_a_sentence(rig: SlackRig) -> None:
    _, question = await confirmation(rig)
    await rig.send.click(question, EDIT_ACTION, "edit")
    await rig.fake.wait_for(lambda f: bool(f.of("views.open")))
    view = rig.fake.of("views.open")[0].args["view"]
    fields = {"subreddits": "r/freelance", "keywords": "$5 tools, late payments in 2 weeks", "days": "30",
              "budget": "1.5"}  # fmt: skip
    state = {"values": {k: {"value": {"type": "plain_text_input", "value": v}} for k, v in fields.items()}}
    submission = {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": "UALICE", "team_id": TEAM},
                  "view": {**view, "id": "VMODAL2", "hash": "h2", "state": state, "callback_id": EDIT_MODAL}}  # fmt: skip
    await rig.send.action(submission)
    await rig.fake.wait_for(
        lambda f: any("r/freelance" in m["text"] and RUN_ACTION in buttons(m) for m in f.messages.values())
    )
    new_question = next(m for m in rig.fake.messages.values() if "r/freelance" in m["text"])
    # "$5" is part of a keyword, not the budget; "in 2 weeks" is part of a keyword, not the window.
    assert "about $5 tools, late payments in 2 weeks, last 30 days, budget $1.50" in new_question["text"]


async def test_edit_modal_with_an_unreadable_budget_points_at_the_budget_field(rig: SlackRig) -> None:
    _, question = await confirmation(rig)
    await rig.send.click(question, EDIT_ACTION, "edit")
    await rig.fake.wait_for(lambda f: bool(f.of("views.open")))
    view = rig.fake.of("views.open")[0].args["view"]
    fields = {"subreddits": "r/freelance", "budget": "two dollars"}
    state = {"values": {k: {"value": {"type": "plain_text_input", "value": v}} for k, v in fields.items()}}
    submission = {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": "UALICE", "team_id": TEAM},
                  "view": {**view, "id": "VMODAL3", "state": state}}  # fmt: skip
    sent = await rig.send.action(submission)
    assert '"response_action":"errors"' in sent.body.replace(" ", "")
    assert '"budget":' in sent.body.replace(" ", "")
    assert "Give the budget in dollars" in sent.body


async def test_edit_modal_without_subreddits_is_refused_in_the_modal(rig: SlackRig) -> None:
    _, question = await confirmation(rig)
    await rig.send.click(question, EDIT_ACTION, "edit")
    await rig.fake.wait_for(lambda f: bool(f.of("views.open")))
    view = rig.fake.of("views.open")[0].args["view"]
    state = {"values": {"subreddits": {"value": {"type": "plain_text_input", "value": ""}}}}
    submission = {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": "UALICE", "team_id": TEAM},
                  "view": {**view, "id": "VMODAL", "state": state}}  # fmt: skip
    sent = await rig.send.action(submission)
    assert sent.status == 200
    assert '"response_action":"errors"' in sent.body.replace(" ", "")
    assert "subreddit" in sent.body


async def test_the_place_in_line_is_kept_current_while_queued(settings: Settings, fake_slack: FakeSlack) -> None:
    async with open_rig(settings, fake_slack, slack_progress_update_seconds=0.05) as rig:
        for n, sub in enumerate(("freelance", "SaaS"), 1):
            await rig.send.event({"type": "app_mention", "user": "UALICE", "channel": "CGENERAL", "ts": f"1699999999.00{n}000",
                                  "text": f"<@UBOT> r/{sub}, last 7 days, budget $0.50"})  # fmt: skip
            await wait_for_queued(rig.fake, n)
        second = next(m for m in rig.fake.messages.values() if m["text"].startswith("⏳ queued · 1 ahead"))
        first_id = next(r.id for r in await analyses_in(rig) if "freelance" in str(r.request))
        # A worker takes the first analysis off the line (as arq does when it starts a job).
        await rig.runtime.redis.zrem(rig.settings.queue_name, stage_job_id(first_id, Stage.REDDIT_COLLECTION))
        await rig.fake.wait_for(lambda f: f.messages[second["ts"]]["text"].startswith("⏳ queued · next in line"))
        assert second["thread_ts"] == "1699999999.002000"


async def wait_for_queued(fake: FakeSlack, count: int) -> None:
    await fake.wait_for(lambda f: sum(m["text"].startswith("⏳ queued") for m in f.messages.values()) == count)


async def analyses_in(rig: SlackRig) -> list[AnalysisRow]:
    async with rig.runtime.database.unit_of_work() as session:
        return list((await session.execute(select(AnalysisRow))).scalars())


async def test_stop_on_the_progress_message_cancels_the_analysis(rig: SlackRig) -> None:
    await rig.send.event({"type": "app_mention", "user": "UALICE", "channel": "CGENERAL", "ts": "1699999999.000100",
                          "text": "<@UBOT> r/freelance, last 7 days, budget $0.50"})  # fmt: skip
    await wait_for_queued(rig.fake, 1)
    progress = next(m for m in rig.fake.messages.values() if m["text"].startswith("⏳ queued"))
    assert buttons(progress) == [STOP_ACTION]
    (analysis,) = await analyses_in(rig)
    await rig.send.click(progress, STOP_ACTION, analysis.id, user="UBOB")
    await rig.fake.wait_for(lambda f: any("pressed Stop" in m["text"] for m in f.messages.values()))
    stopped = next(m for m in rig.fake.messages.values() if "pressed Stop" in m["text"])
    assert stopped["thread_ts"] == "1699999999.000100"
    assert "Nothing was charged" in stopped["text"]
    assert (await rig.runtime.service.get(analysis.id)).status == AnalysisStatus.CANCELLED
