"""Every Slack way in meets the same monthly cap, refused in the same words, and nothing says "Starting"."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from oppscout.bot.render.blockkit import RUN_ACTION
from oppscout.core.db.tables import AnalysisRow
from oppscout.core.spend import SpendGovernor
from tests.bot.slack.conftest import SlackRig
from tests.fakes.slack_server import BOT_USER, TEAM

REFUSAL = "That needs a budget of $0.50, but this workspace has only $0.10 left of its $0.10 cap"


async def analyses(rig: SlackRig) -> int:
    async with rig.runtime.database.unit_of_work() as session:
        return int((await session.execute(select(func.count()).select_from(AnalysisRow))).scalar_one())


async def cap_at_ten_cents(rig: SlackRig) -> None:
    await SpendGovernor(rig.runtime.database, rig.settings).set_caps(
        TEAM, workspace_monthly=Decimal("0.10"), user_monthly=None
    )


async def test_a_typed_request_over_the_cap_is_refused_without_starting(rig: SlackRig) -> None:
    await cap_at_ten_cents(rig)
    await rig.send.event({"type": "app_mention", "user": "UALICE", "ts": "1699999999.000100", "channel": "CGENERAL",
                          "text": f"<@{BOT_USER}> r/freelance about invoicing, last 7 days, budget $0.50"})  # fmt: skip
    await rig.fake.wait_for(lambda f: any(REFUSAL in m["text"] for m in f.messages.values()))
    texts = rig.texts("1699999999.000100")
    assert not any(t.startswith("Starting") or t.startswith("⏳") for t in texts)
    assert await analyses(rig) == 0


async def test_the_run_button_over_the_cap_is_refused_in_the_same_words(rig: SlackRig) -> None:
    await cap_at_ten_cents(rig)
    await rig.send.command("r/freelance about invoicing, last 7 days, budget $0.50", user="UALICE")
    # $0.50 is under the $1 auto-approve budget, so the slash command is refused at once; a $2 request
    # waits for Run and is refused when Run is pressed.
    await rig.fake.wait_for(lambda f: any(REFUSAL in m["text"] for m in f.messages.values()))
    await rig.send.command("r/SaaS about churn, last 7 days, budget $2", user="UALICE")
    await rig.fake.wait_for(lambda f: any("Run it?" in m["text"] for m in f.messages.values()))
    question = next(m for m in rig.fake.messages.values() if "Run it?" in m["text"])
    await rig.send.click(question, RUN_ACTION, "run")
    refusal_for_2 = "That needs a budget of $2.00, but this workspace has only $0.10 left"
    await rig.fake.wait_for(lambda f: any(refusal_for_2 in m["text"] for m in f.messages.values()))
    assert not any(m["text"].startswith("Starting") for m in rig.fake.messages.values())
    assert await analyses(rig) == 0
