"""Direct messages on Slack (alerts, cost warnings): conversations.open, then chat.postMessage.

Slack's refusals are sorted into those a retry cannot fix (the person is gone, DMs are not
allowed, the token lost its rights) and those that pass (rate limits, Slack outages), so the
outbox retries only what may still succeed.
"""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from oppscout.bot.slack.workspaces import SlackWorkspaces
from oppscout.core.errors import AppError, DeliveryError
from oppscout.core.settings import Settings

# Slack error codes that will be the same on every retry.
PERMANENT_ERRORS = {
    "user_not_found": "the Slack user no longer exists",
    "user_disabled": "the Slack account is deactivated",
    "account_inactive": "the Slack account is deactivated",
    "cannot_dm_bot": "that user is a bot",
    "user_not_visible": "the app cannot see that user",
    "messages_tab_disabled": "direct messages with the app are turned off",
    "not_in_channel": "the app cannot post in the DM",
    "channel_not_found": "the DM channel does not exist",
    "is_archived": "the channel is archived",
    "restricted_action": "the workspace does not allow the app to DM people",
    "missing_scope": "the app lacks the im:write or chat:write permission",
    "not_allowed_token_type": "the token cannot send DMs",
    "invalid_auth": "the bot token is invalid",
    "not_authed": "the bot token is missing",
    "token_revoked": "the bot token was revoked",
    "account_revoked": "the bot token was revoked",
}
# Slack's own limit on the text of one message.
MAX_TEXT = 40_000


class SlackDirectMessenger:
    """Sends DMs and channel posts through one Web API client."""

    def __init__(self, settings: Settings, workspaces: SlackWorkspaces | None = None) -> None:
        self.workspaces = workspaces or SlackWorkspaces(settings)

    async def _client(self, workspace_id: str) -> AsyncWebClient:
        # One bot token, or the token of the workspace's OAuth installation.
        try:
            return (await self.workspaces.poster(workspace_id)).client
        except AppError as error:
            raise DeliveryError(error.message, permanent=True) from error

    async def send_dm(self, workspace_id: str, user_id: str, text: str) -> None:
        """DM ``user_id``; raises DeliveryError, permanent when Slack will keep refusing."""
        client = await self._client(workspace_id)
        try:
            opened = await client.conversations_open(users=user_id)
            channel = opened["channel"]["id"]
            await client.chat_postMessage(channel=channel, text=text[:MAX_TEXT])
        except SlackApiError as error:
            raise _delivery_error(error) from error
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise DeliveryError(f"Slack could not be reached ({type(error).__name__})") from error

    async def post_in_channel(
        self, workspace_id: str, channel_id: str, thread_id: str | None, text: str, *, mention_user_id: str | None
    ) -> None:
        """Post in the thread (or the channel), mentioning the person the DM was for."""
        if mention_user_id:
            text = f"<@{mention_user_id}> {text}"
        client = await self._client(workspace_id)
        try:
            await client.chat_postMessage(channel=channel_id, thread_ts=thread_id or None, text=text[:MAX_TEXT])
        except SlackApiError as error:
            raise _delivery_error(error) from error


def _delivery_error(error: SlackApiError) -> DeliveryError:
    code = str(error.response.get("error", "")) if error.response is not None else ""
    if code in PERMANENT_ERRORS:
        return DeliveryError(f"{PERMANENT_ERRORS[code]} (Slack: {code})", permanent=True)
    return DeliveryError(f"Slack refused for now ({code or 'no reason given'})")
