"""App Home: the workspace's recent analyses, watches, and spend this month against the cap."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError

from oppscout.bot.render.blockkit import Block, HomeAnalysis, HomeWatch, home_view
from oppscout.bot.slack.workspaces import SlackWorkspaces
from oppscout.core.contract import AnalysisStatus
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.analyses import AnalysisRepository
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.db.repositories.ledger import ledger_totals
from oppscout.core.settings import Settings
from oppscout.core.spend import SpendGovernor, SpendReport
from oppscout.core.watches.models import WatchView
from oppscout.core.watches.service import WatchService
from oppscout.core.wording import usd

RECENT = 10
PLATFORM = "slack"


def spend_text(report: SpendReport) -> str:
    """This month's spend against the workspace cap, and the person's own cap when there is one."""
    line = f"*Spend in {report.month}:* {usd(report.total_spent)}"
    if report.caps.workspace is not None and report.workspace_left is not None:
        line += f" of the {usd(report.caps.workspace)} workspace cap ({usd(report.workspace_left)} left)"
    else:
        line += " · no monthly workspace cap"
    if report.caps.per_user is not None and report.user_left is not None:
        line += f"\n*Yours:* {usd(report.user_committed)} of {usd(report.caps.per_user)} ({usd(report.user_left)} left)"
    return line


def home_watch(watch: WatchView) -> HomeWatch:
    """What App Home shows of one watch."""
    return HomeWatch(
        watch.id, watch.title, watch.schedule, watch.channels, watch.usage, watch.cost_alert, paused=not watch.active
    )


class SlackHome:
    """Builds and publishes the App Home tab."""

    def __init__(self, settings: Settings, database: Database, workspaces: SlackWorkspaces) -> None:
        self.settings = settings
        self.database = database
        self.workspaces = workspaces

    async def view(self, workspace_id: str, user_id: str) -> Block:
        """The Home view of one workspace, for one person, as it stands now."""
        async with self.database.unit_of_work() as session:
            rows = await AnalysisRepository(session).list_recent(workspace_id=workspace_id, limit=RECENT)
            recent = [
                HomeAnalysis(
                    analysis_id=row.id,
                    status=AnalysisStatus(row.status),
                    subreddits=list(row.request.get("subreddits") or []),
                    created=f"{row.created_at:%b %d %H:%M} UTC",
                    spent=(await ledger_totals(session, row.id)).spent,
                )
                for row in rows
            ]
        report = await SpendGovernor(self.database, self.settings).report(workspace_id, user_id)
        me = ThreadRef(PLATFORM, workspace_id, "", "", user_id)
        watches = await WatchService(self.database, self.settings).list_watches(me, mine_only=True)
        return home_view(recent, spend_text(report), [home_watch(w) for w in watches])

    async def publish(self, workspace_id: str, user_id: str) -> None:
        """Show the Home tab to ``user_id``."""
        poster = await self.workspaces.poster(workspace_id)
        try:
            await poster.client.views_publish(user_id=user_id, view=await self.view(workspace_id, user_id))
        except SlackApiError as error:
            await poster.explain_by_dm(error, "", user_id)


def register_home(app: AsyncApp, home: SlackHome) -> None:
    """Publish App Home whenever someone opens it."""

    @app.event("app_home_opened")
    async def on_home_opened(body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        if event.get("tab", "home") != "home":
            return
        await home.publish(str(body.get("team_id") or context.team_id or ""), str(event["user"]))
