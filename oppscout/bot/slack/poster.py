"""Posting to Slack: one place that calls the Web API for replies and explains Slack's refusals to users.

When Slack refuses a post because the bot is not in the channel or lacks a scope, the person who
asked gets a DM saying what to do, instead of the bot failing silently.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from oppscout.bot.render.blockkit import Block, plain_fallback
from oppscout.core.settings import Settings

log = logging.getLogger(__name__)

# Slack error codes a user can fix, and what to tell them.
EXPLANATIONS = {
    "not_in_channel": "I'm not a member of <#{channel}>. Invite me with `/invite @Opportunity Scout` and ask again.",
    "channel_not_found": "I can't see <#{channel}>. If it's private, invite me with `/invite @Opportunity Scout`.",
    "is_archived": "<#{channel}> is archived, so I can't post there. Ask me in another channel or here.",
    "missing_scope": "I'm missing the Slack permission `{needed}`. Ask a workspace admin to reinstall the app "
    "from its manifest, then try again.",
    "restricted_action": "This workspace doesn't let me post in <#{channel}>. Ask me here instead.",
}


def build_client(settings: Settings, *, token: str | None = None) -> AsyncWebClient:
    """The Web API client: the bot token (or ``token``), configured base URL, and retries when Slack says 429."""
    if token is None and settings.slack_bot_token is not None:
        token = settings.slack_bot_token.get_secret_value()
    base_url = (
        settings.slack_api_base_url if settings.slack_api_base_url.endswith("/") else settings.slack_api_base_url + "/"
    )
    client = AsyncWebClient(token=token, base_url=base_url, timeout=15)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client


def explain(error: SlackApiError, channel: str) -> str | None:
    """What to tell the user about a refused call, or None when it is not something they can fix."""
    code = str(error.response.get("error", ""))
    template = EXPLANATIONS.get(code)
    if template is None:
        return None
    return template.format(channel=channel, needed=error.response.get("needed", "?"))


class SlackPoster:
    """Posts, edits and explains, on one Web API client."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def post(
        self, channel: str, text: str, *, thread_ts: str | None, blocks: list[Block] | None = None, user: str = ""
    ) -> str | None:
        """Post a message (in ``thread_ts`` when given); returns its ts, or None when Slack refused and the user was told."""
        kwargs: dict[str, Any] = {"channel": channel, "text": plain_fallback(text)}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        if blocks is not None:
            kwargs["blocks"] = blocks
        try:
            response = await self.client.chat_postMessage(**kwargs)
        except SlackApiError as error:
            await self.explain_by_dm(error, channel, user)
            return None
        return str(response["ts"])

    async def update(self, channel: str, ts: str, text: str, *, blocks: list[Block] | None = None) -> bool:
        """Edit a message in place; False when Slack refused (the caller decides whether it matters)."""
        kwargs: dict[str, Any] = {"channel": channel, "ts": ts, "text": plain_fallback(text)}
        if blocks is not None:
            kwargs["blocks"] = blocks
        try:
            await self.client.chat_update(**kwargs)
        except SlackApiError as error:
            log.warning("chat.update refused: %s", error.response.get("error"))
            return False
        return True

    async def ephemeral(self, channel: str, user: str, text: str, *, thread_ts: str | None = None) -> None:
        """A reply only ``user`` sees."""
        kwargs: dict[str, Any] = {"channel": channel, "user": user, "text": plain_fallback(text)}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        try:
            await self.client.chat_postEphemeral(**kwargs)
        except SlackApiError as error:
            await self.explain_by_dm(error, channel, user)

    async def dm(self, user: str, text: str) -> str | None:
        """A direct message to ``user``; returns the DM channel id, or None when even that failed."""
        try:
            opened = await self.client.conversations_open(users=user)
            channel = str(opened["channel"]["id"])
            await self.client.chat_postMessage(channel=channel, text=plain_fallback(text))
        except SlackApiError as error:
            log.warning("could not DM %s: %s", user, error.response.get("error"))
            return None
        return channel

    async def explain_by_dm(self, error: SlackApiError, channel: str, user: str) -> None:
        """Tell ``user`` in a DM why a post in ``channel`` failed, when it is something they can fix."""
        message = explain(error, channel)
        if message is None or not user:
            log.warning("Slack refused a post in %s: %s", channel, error.response.get("error"))
            return
        await self.dm(user, message)
