"""Which bot token speaks to which workspace: the one configured token, or OAuth installations.

Single-workspace (the default) uses ``OPPSCOUT_SLACK_BOT_TOKEN`` everywhere. With a client id and
secret the app is installable in many workspaces: slack_sdk's SQLAlchemy installation store keeps
each workspace's bot token in the project's database, and every post (from the bot process or a
worker) uses the token of the workspace the thread lives in.
"""

from __future__ import annotations

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from oppscout.bot.slack.poster import SlackPoster, build_client
from oppscout.core.errors import AppError
from oppscout.core.settings import Settings

# Every scope the app uses; slack/manifest.yml lists the same, with the reason for each.
BOT_SCOPES = (
    "app_mentions:read",
    "channels:history",
    "groups:history",
    "im:history",
    "mpim:history",
    "im:write",
    "chat:write",
    "commands",
    "files:read",
    "files:write",
)
STATE_EXPIRY_SECONDS = 600


def oauth_enabled(settings: Settings) -> bool:
    """Whether the app runs as a multi-workspace OAuth app."""
    return bool(settings.slack_client_id and settings.slack_client_secret)


def slack_configured(settings: Settings) -> bool:
    """Whether Slack is configured at all (a bot token, or OAuth credentials)."""
    return settings.slack_bot_token is not None or oauth_enabled(settings)


class SlackWorkspaces:
    """Hands out a ``SlackPoster`` with the right bot token for each workspace."""

    def __init__(self, settings: Settings, engine: AsyncEngine | None = None) -> None:
        self.settings = settings
        self.client = build_client(settings)
        self._single = SlackPoster(self.client)
        self.store: AsyncSQLAlchemyInstallationStore | None = None
        self.state_store: AsyncSQLAlchemyOAuthStateStore | None = None
        if oauth_enabled(settings):
            engine = engine or create_async_engine(settings.resolved_database_url)
            self.store = AsyncSQLAlchemyInstallationStore(client_id=str(settings.slack_client_id), engine=engine)
            self.state_store = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_EXPIRY_SECONDS, engine=engine)

    async def prepare(self) -> None:
        """Create the installation and OAuth state tables; slack_sdk owns their schema, so it creates them."""
        if self.store is not None and self.state_store is not None:
            await self.store.create_tables()  # type: ignore[no-untyped-call]
            await self.state_store.create_tables()  # type: ignore[no-untyped-call]

    def oauth_settings(self) -> AsyncOAuthSettings | None:
        """Bolt's OAuth settings (install page, redirect, stores), or None in single-workspace mode."""
        if self.store is None or self.settings.slack_client_secret is None:
            return None
        return AsyncOAuthSettings(
            client_id=self.settings.slack_client_id,
            client_secret=self.settings.slack_client_secret.get_secret_value(),
            scopes=list(BOT_SCOPES),
            installation_store=self.store,
            state_store=self.state_store,
            install_path=self.settings.slack_install_path,
            redirect_uri_path=self.settings.slack_redirect_path,
        )

    async def poster(self, workspace_id: str) -> SlackPoster:
        """The poster for ``workspace_id``; AppError when the app is not installed there."""
        if self.store is None:
            return self._single
        bot = await self.store.async_find_bot(enterprise_id=None, team_id=workspace_id)
        if bot is None:
            raise AppError("Opportunity Scout is not installed in this Slack workspace; install it again.")
        return SlackPoster(build_client(self.settings, token=bot.bot_token))
