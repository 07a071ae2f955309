"""The worker-side Slack notifier and Block Kit payloads, against the fake Web API's own validation."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from oppscout.bot.render.blockkit import MAX_BLOCKS, MAX_TEXT, message_blocks, summary_blocks
from oppscout.bot.slack.notifier import SlackThreadNotifier
from oppscout.bot.slack.workspaces import SlackWorkspaces
from oppscout.core.contract import (
    CostBreakdown,
    Coverage,
    Opportunity,
    OpportunityResults,
    ProgressUpdate,
    Quote,
    Stage,
)
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.delivery import ThreadView
from oppscout.core.events import CompletedEvent, CostEvent, ProgressEvent, StageEvent
from oppscout.core.settings import Settings
from oppscout.core.spend import SpendGovernor
from oppscout.core.watches.models import WatchSpec
from oppscout.core.watches.service import WatchService
from tests.bot.slack.conftest import SlackRig, open_rig, slack_settings
from tests.fakes.slack_server import BOT_USER, TEAM, FakeSlack


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def view(progress: str | None = None) -> ThreadView:
    return ThreadView(1, "slack", "T0001", "CGENERAL", "1700000000.000001", "UALICE", progress)


def progress(percent: int) -> ProgressEvent:
    update = ProgressUpdate(stage=Stage.REDDIT_COLLECTION, percent=percent, posts_collected=percent)
    return ProgressEvent(analysis_id="a1", progress=update)


def big_results(n: int) -> OpportunityResults:
    quote = Quote(
        text="I hate chasing invoices. " * 200, permalink="https://reddit.com/r/x/1", author="bob", subreddit="x"
    )
    opportunities = [
        Opportunity(
            title=f"Opportunity {i} " + "x" * 400,
            problem="Invoices are late. " * 400,
            score=90 - i % 90,
            quotes=[quote, quote, quote],
        )
        for i in range(n)
    ]
    return OpportunityResults(opportunities=opportunities, coverage=Coverage(posts=5, comments=9, subreddits=["x"]))


def notifier(settings: Settings, fake: FakeSlack, clock: Clock, interval: float = 3.0) -> SlackThreadNotifier:
    workspaces = SlackWorkspaces(slack_settings(settings, fake))
    return SlackThreadNotifier(workspaces, min_update_interval=interval, clock=clock)


async def test_progress_is_one_message_whose_updates_are_throttled(settings: Settings, fake_slack: FakeSlack) -> None:
    clock = Clock()
    slack = notifier(settings, fake_slack, clock)
    created = await slack.deliver(StageEvent(analysis_id="a1", stage=Stage.REDDIT_COLLECTION), view())
    assert created is not None
    for second in (0.5, 1.0, 1.5, 2.0, 2.5):  # a busy stage reports twice a second
        clock.now = second
        assert await slack.deliver(progress(int(second * 10)), view(created)) is None
    assert fake_slack.of("chat.update") == []
    clock.now = 3.1
    await slack.deliver(progress(40), view(created))
    clock.now = 3.5
    await slack.deliver(progress(45), view(created))
    assert len(fake_slack.of("chat.update")) == 1
    assert "40%" in fake_slack.messages[created]["text"]
    # A new stage is always shown, whatever the throttle says.
    await slack.deliver(StageEvent(analysis_id="a1", stage=Stage.COMMENT_PROCESSING), view(created))
    assert fake_slack.messages[created]["text"] == "⏳ reading comments…"
    assert len(fake_slack.of("chat.postMessage")) == 1
    assert all(c.args["ts"] == created for c in fake_slack.of("chat.update"))


async def test_a_rate_limited_update_is_retried_after_slacks_retry_after(
    settings: Settings, fake_slack: FakeSlack
) -> None:
    clock = Clock()
    slack = notifier(settings, fake_slack, clock)
    created = await slack.deliver(StageEvent(analysis_id="a1", stage=Stage.REDDIT_COLLECTION), view())
    assert created is not None
    fake_slack.rate_limited["chat.update"] = 1
    await slack.deliver(StageEvent(analysis_id="a1", stage=Stage.AI_ANALYSIS), view(created))
    assert len(fake_slack.of("chat.update")) == 2  # the 429, then the retry
    assert fake_slack.messages[created]["text"] == "⏳ finding opportunities…"


async def test_cost_warning_is_its_own_reply_in_the_thread(settings: Settings, fake_slack: FakeSlack) -> None:
    slack = notifier(settings, fake_slack, Clock())
    cost = CostBreakdown(total=Decimal("1.2"), budget=Decimal("2"))
    await slack.deliver(CostEvent(analysis_id="a1", cost=cost), view("1700000000.000009"))
    assert fake_slack.of("chat.postMessage") == []  # a plain spend update is not worth a message
    await slack.deliver(CostEvent(analysis_id="a1", cost=cost, warning="Spend reached 50%", level=0.5), view())
    (posted,) = fake_slack.of("chat.postMessage")
    assert posted.args["thread_ts"] == "1700000000.000001"
    assert posted.args["text"] == "💸 Spend reached 50%"


async def test_a_missing_scope_is_explained_to_the_asker_in_a_dm(
    settings: Settings, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    fake_slack.missing_scopes["files.getUploadURLExternal"] = "files:write"
    report = tmp_path / "report.md"
    report.write_text("# Opportunity report: r/x\n", encoding="utf-8")
    event = CompletedEvent(analysis_id="a1", results=big_results(1), cost=CostBreakdown(), report_path=str(report))
    await notifier(settings, fake_slack, Clock()).deliver(event, view("1700000000.000009"))
    dm = next(c.args for c in fake_slack.of("chat.postMessage") if c.args["channel"] == "DUALICE")
    assert "files:write" in dm["text"]
    assert "reinstall" in dm["text"]
    assert fake_slack.of("conversations.open")[0].args["users"] == "UALICE"


def test_summary_of_many_long_opportunities_stays_within_block_kit_limits() -> None:
    pages = summary_blocks("a1", big_results(40), CostBreakdown(budget=Decimal("2")), top=40)
    assert len(pages) > 1
    for page in pages:
        assert len(page) <= MAX_BLOCKS
        for block in page:
            texts = [block.get("text", {}).get("text", "")] + [e.get("text", "") for e in block.get("elements", [])]
            assert all(len(t) <= MAX_TEXT for t in texts if isinstance(t, str))
    ranks = [b["block_id"] for page in pages for b in page if b.get("block_id", "").startswith("scout_vote_")]
    assert ranks == [f"scout_vote_{i}" for i in range(1, 41)]


def test_long_messages_are_split_without_losing_text() -> None:
    text = "\n".join(f"line {i}: " + "word " * 40 for i in range(100))
    blocks = message_blocks(text)
    assert len(blocks) > 1
    assert all(len(b["text"]["text"]) <= MAX_TEXT for b in blocks)
    assert "".join(b["text"]["text"] for b in blocks).replace("\n", "") == text.replace("\n", "")


async def test_summary_pages_are_accepted_by_slack(settings: Settings, fake_slack: FakeSlack) -> None:
    slack = notifier(settings, fake_slack, Clock())
    results = big_results(8)
    event = CompletedEvent(analysis_id="a1", results=results, cost=CostBreakdown(budget=Decimal("2")), report_path=None)
    await slack.deliver(event, view("1700000000.000009"))
    posted = fake_slack.of("chat.postMessage")
    assert posted
    assert all(c.args["thread_ts"] == "1700000000.000001" for c in posted)
    assert all(m["blocks"] for m in fake_slack.messages.values())  # none refused as invalid_blocks


async def test_app_home_shows_recent_analyses_watches_and_spend_against_the_cap(rig: SlackRig) -> None:
    await SpendGovernor(rig.runtime.database, rig.settings).set_caps(
        TEAM, workspace_monthly=Decimal("50"), user_monthly=None
    )
    home_thread = ThreadRef("slack", TEAM, "DALICE", "1699999999.000050", "UALICE")
    await WatchService(rig.runtime.database, rig.settings).create(
        home_thread, WatchSpec(subreddits=["SaaS"], keywords=["churn"])
    )
    await rig.send.event({"type": "app_mention", "user": "UALICE", "ts": "1699999999.000100", "channel": "CGENERAL",
                          "text": f"<@{BOT_USER}> r/freelance about invoicing, last 7 days, budget $0.50"})  # fmt: skip
    await rig.fake.wait_for(lambda f: any(m["text"].startswith("⏳") for m in f.messages.values()))
    await rig.send.event({"type": "app_home_opened", "user": "UALICE", "channel": "DALICE", "tab": "home"})
    await rig.fake.wait_for(lambda f: bool(f.of("views.publish")))
    published = rig.fake.of("views.publish")[0].args
    assert published["user_id"] == "UALICE"
    home = str(published["view"]["blocks"])
    assert "of the $50.00 workspace cap ($49.50 left)" in home
    assert "r/SaaS · churn" in home
    assert "r/freelance" in home
    assert "queued" in home


async def test_app_home_shows_where_each_watch_alerts_go_and_its_cost_alert(
    settings: Settings, fake_slack: FakeSlack
) -> None:
    async with open_rig(settings, fake_slack, with_watches=True) as rig:
        await home_after_setting_up_watches(rig)


async def home_after_setting_up_watches(rig: SlackRig) -> None:
    said = iter(range(700, 800))

    async def dm(text: str) -> None:
        n = next(said)
        before = len(rig.dm_texts("DALICE"))
        await rig.send.event({"type": "message", "channel_type": "im", "user": "UALICE", "text": text,
                              "ts": f"1699999999.000{n}", "channel": "DALICE", "client_msg_id": f"h-{n}"})  # fmt: skip
        await rig.fake.wait_for(lambda f: len(rig.dm_texts("DALICE")) > before)

    # Set up in words in the DM: an address, then a watch by email with a cost alert, then one by DM.
    await dm("my email is pat@example.com")
    await dm("watch r/freelance weekly and email me above 30, tell me when it has cost $1")
    await dm("yes")
    await dm("watch r/SaaS for churn daily, DM me above 80")
    await dm("yes")
    assert "I'll email you at pat@example.com" in rig.dm_texts("DALICE")[2]
    # A watch is paused from the list: App Home says so.
    await dm("pause watch 2")
    await rig.send.event({"type": "app_home_opened", "user": "UALICE", "channel": "DALICE", "tab": "home"})
    await rig.fake.wait_for(lambda f: bool(f.of("views.publish")))
    published = rig.fake.of("views.publish")[0].args
    assert published["user_id"] == "UALICE"
    blocks = published["view"]["blocks"]
    (watches,) = [b["text"]["text"] for b in blocks if b.get("text", {}).get("text", "").startswith("*Your watches*")]
    freelance, saas = watches.removeprefix("*Your watches*\n• ").split("\n• ")
    assert freelance.startswith("*#1 r/freelance* — weekly, alert at score 30+")
    assert "Alerts go by email to pat@example.com · cost alert at $1.00 a month" in freelance
    assert saas.startswith("*#2 r/SaaS · churn* — daily, alert at score 80+ _(paused)_")
    assert "Alerts go by DM · $0.00 of $5.00 used this month" in saas
    assert "cost alert" not in saas

    # The watch list in the chat says the same.
    await dm("list my watches")
    listing = rig.dm_texts("DALICE")[-1]
    assert "#1 r/freelance: weekly, alert at score 30+ by email to pat@example.com" in listing
    assert "cost alert at $1.00 a month" in listing
    assert "#2 r/SaaS · churn: daily, alert at score 80+ by DM" in listing
