"""Worker-side delivery over REST: one progress message, paced edits, the final state always shown."""

from __future__ import annotations

from decimal import Decimal

from oppscout.bot.discord.notifier import DiscordThreadNotifier
from oppscout.core.contract import CostBreakdown, ProgressUpdate, Stage
from oppscout.core.delivery import ThreadView
from oppscout.core.events import CancelledEvent, CostEvent, ProgressEvent, StageEvent
from tests.bot.discord.conftest import GUILD_ID, USER_ID, Gateway

ANALYSIS = "c" * 32


async def test_progress_is_one_message_edited_at_a_pace_discord_accepts(gateway: Gateway) -> None:
    server = gateway.server
    settings = gateway.runtime.settings.model_copy(update={"discord_progress_update_seconds": 3600})
    notifier = DiscordThreadNotifier(settings)
    channel = gateway.channel["id"]
    view = ThreadView(1, "discord", str(GUILD_ID), channel, channel, str(USER_ID), None)
    try:
        progress_id = await notifier.deliver(StageEvent(analysis_id=ANALYSIS, stage=Stage.REDDIT_COLLECTION), view)
        assert progress_id is not None
        view = ThreadView(1, "discord", str(GUILD_ID), channel, channel, str(USER_ID), progress_id)
        for percent in range(10, 100, 10):
            update = ProgressUpdate(stage=Stage.REDDIT_COLLECTION, percent=percent, posts_collected=percent)
            assert await notifier.deliver(ProgressEvent(analysis_id=ANALYSIS, progress=update), view) == progress_id
        warning = CostEvent(analysis_id=ANALYSIS, cost=CostBreakdown(total=Decimal("1"), budget=Decimal("2")))
        warning.warning = "Half of the $2 budget is spent."
        await notifier.deliver(warning, view)
        await notifier.deliver(CancelledEvent(analysis_id=ANALYSIS), view)
    finally:
        await notifier.aclose()
    messages = server.channel_messages(int(channel))
    assert [m["content"] for m in messages] == [
        "⏹ Cancelled",
        "💸 Half of the $2 budget is spent.",
        "Cancelled. Nothing more will be charged.",
    ]
    # Nine progress events inside the pacing interval made no edit; the final state made one.
    assert len(server.calls("PATCH", f"/channels/{channel}/messages/{progress_id}")) == 1
