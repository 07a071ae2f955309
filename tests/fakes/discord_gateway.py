"""Discord gateway payloads (GUILD_CREATE, INTERACTION_CREATE, MESSAGE_CREATE) that the live fake gateway sends.

They are the dispatch bodies (``d``) of gateway frames as Discord sends them; the fake REST
server mixes this in so that interactions it hands out are known to it when their callbacks come.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

BOT_USER_ID = 900000000000000001
APPLICATION_ID = 900000000000000002
MISSING_PERMISSIONS = {"message": "Missing Permissions", "code": 50013}
CANNOT_DM = {"message": "Cannot send messages to this user", "code": 50007}
# Permissions the bot has in a channel where everything it needs is allowed.
ALL_NEEDED_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 35) | (1 << 38)


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    """A Discord user object."""
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
        "bot": bot,
    }


def now_iso() -> str:
    """A Discord timestamp for now."""
    return datetime.now(UTC).isoformat()


class GatewayPayloads:
    """Builders of gateway payloads; the fake server provides the state they register in."""

    root: str
    channels: dict[int, dict[str, Any]]
    messages: dict[int, dict[str, Any]]
    interactions: dict[str, dict[str, Any]]
    attachments: dict[str, bytes]
    _ids: Iterator[int]

    def snowflake(self) -> int:
        """A new unique id."""
        return next(self._ids)

    @staticmethod
    def _public(message: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in message.items() if k != "files"}

    def add_channel(self, guild_id: int, name: str = "general") -> dict[str, Any]:
        """A guild text channel the fake knows about."""
        channel_id = self.snowflake()
        channel = {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(guild_id),
            "name": name,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "rate_limit_per_user": 0,
        }
        self.channels[channel_id] = channel
        return channel

    def guild_create(self, guild_id: int, channels: list[dict[str, Any]]) -> dict[str, Any]:
        """A GUILD_CREATE dispatch payload for a small server the bot just joined."""
        return {
            "id": str(guild_id),
            "name": "Founders",
            "icon": None,
            "owner_id": "1",
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "system_channel_flags": 0,
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": [
                {
                    "id": str(guild_id),
                    "name": "@everyone",
                    "permissions": str(ALL_NEEDED_PERMISSIONS),
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "channels": channels,
            "threads": [],
            "members": [
                {
                    "user": user(BOT_USER_ID, "scout", bot=True),
                    "roles": [],
                    "joined_at": now_iso(),
                    "deaf": False,
                    "flags": 0,
                }
            ],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "member_count": 2,
            "large": False,
            "unavailable": False,
            "joined_at": now_iso(),
        }

    def interaction(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        channel: dict[str, Any],
        user_id: int,
        guild_id: int | None = None,
        message: dict[str, Any] | None = None,
        app_permissions: int = ALL_NEEDED_PERMISSIONS,
        interaction_id: int | None = None,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload; the fake remembers its token to place the response messages."""
        iid = interaction_id or self.snowflake()
        token = f"token-{iid}"
        state: dict[str, Any] = {"channel_id": int(channel["id"]), "original": None, "type": kind}
        if message is not None:
            state["message_id"] = int(message["id"])
        self.interactions.setdefault(token, state)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(APPLICATION_ID),
            "type": kind,
            "token": token,
            "version": 1,
            "channel_id": channel["id"],
            "channel": {k: v for k, v in channel.items() if k != "recipients"} | {"recipients": []}
            if channel["type"] == 1
            else channel,
            "app_permissions": str(app_permissions),
            "locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id)} if guild_id else {"1": str(user_id)},
            "context": 0 if guild_id else 1,
            "attachment_size_limit": 10_485_760,
            "data": data,
        }
        if guild_id is not None:
            payload["guild_id"] = str(guild_id)
            payload["guild_locale"] = "en-US"
            payload["member"] = {
                "user": user(user_id, f"user{user_id}"),
                "roles": [],
                "joined_at": now_iso(),
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": str(ALL_NEEDED_PERMISSIONS),
            }
        else:
            payload["user"] = user(user_id, f"user{user_id}")
        if message is not None:
            payload["message"] = self._public(message)
        return payload

    def message_create(
        self,
        *,
        channel_id: int,
        user_id: int,
        content: str = "",
        guild_id: int | None = None,
        mentions_bot: bool = False,
        voice: bytes | None = None,
        voice_seconds: float = 3.5,
    ) -> dict[str, Any]:
        """A MESSAGE_CREATE payload; with ``voice`` it is a voice message (flag 8192, OGG/Opus attachment)."""
        message_id = self.snowflake()
        payload: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "author": user(user_id, f"user{user_id}"),
            "content": content,
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [user(BOT_USER_ID, "scout", bot=True)] if mentions_bot else [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }
        if guild_id is not None:
            payload["guild_id"] = str(guild_id)
            payload["member"] = {"roles": [], "joined_at": now_iso(), "deaf": False, "mute": False, "flags": 0}
        if voice is not None:
            name = f"voice-message-{message_id}.ogg"
            self.attachments[name] = voice
            payload["flags"] = 8192
            payload["attachments"] = [
                {
                    "id": str(self.snowflake()),
                    "filename": "voice-message.ogg",
                    "size": len(voice),
                    "url": f"{self.root}/attachments/{name}",
                    "proxy_url": f"{self.root}/attachments/{name}",
                    "content_type": "audio/ogg",
                    "duration_secs": voice_seconds,
                    "waveform": base64.b64encode(bytes(range(0, 256, 4))).decode(),
                    "flags": 0,
                }
            ]
        # A user's message is in the channel too, so a thread can be started from it.
        self.messages[message_id] = {**payload, "files": {}}
        return payload
