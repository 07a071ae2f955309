"""Direct messages on Discord (alerts, cost warnings) over the REST API: open a DM channel, then send.

Discord's 403 (the person closed DMs from server members, or blocked the bot) and 404 (unknown
user) will not change on a retry; its 5xx and network errors may, so the outbox retries those.
"""

from __future__ import annotations

import aiohttp
import discord
from discord.http import HTTPClient, handle_message_parameters

from oppscout.bot.discord.rest import DiscordRestClient
from oppscout.core.errors import DeliveryError

MAX_CONTENT = 2000
CANNOT_DM = 50007


def chunks(text: str, limit: int = MAX_CONTENT) -> list[str]:
    """``text`` split into messages Discord accepts, at line breaks where possible."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    return [*parts, rest] if rest else parts


class DiscordDirectMessenger(DiscordRestClient):
    """Sends DMs and channel posts with discord.py's HTTP client (no gateway connection)."""

    async def send_dm(self, workspace_id: str, user_id: str, text: str) -> None:
        """DM ``user_id``; raises DeliveryError, permanent when Discord will keep refusing."""
        try:
            http = await self.client()
            channel = await http.start_private_message(int(user_id))
            await self._send(http, int(channel["id"]), text, mention=None)
        except discord.Forbidden as error:
            reason = "they don't accept DMs from the bot" if error.code == CANNOT_DM else "Discord forbids it"
            raise DeliveryError(f"{reason} (Discord {error.code})", permanent=True) from error
        except discord.NotFound as error:
            raise DeliveryError(f"Discord does not know that user ({error.code})", permanent=True) from error
        except discord.DiscordServerError as error:
            raise DeliveryError(f"Discord is having trouble ({error.status})") from error
        except discord.HTTPException as error:
            raise DeliveryError(f"Discord refused the message ({error.status} {error.code})", permanent=True) from error
        except (aiohttp.ClientError, OSError) as error:
            raise DeliveryError(f"Discord could not be reached ({type(error).__name__})") from error

    async def post_in_channel(
        self, workspace_id: str, channel_id: str, thread_id: str | None, text: str, *, mention_user_id: str | None
    ) -> None:
        """Post in the thread (or the channel), mentioning the person the DM was for."""
        http = await self.client()
        await self._send(http, int(thread_id or channel_id), text, mention=mention_user_id)

    async def _send(self, http: HTTPClient, channel_id: int, text: str, *, mention: str | None) -> None:
        body = f"<@{mention}> {text}" if mention else text
        allowed = discord.AllowedMentions(
            everyone=False, roles=False, users=[discord.Object(int(mention))] if mention else False
        )
        for part in chunks(body):
            with handle_message_parameters(content=part, allowed_mentions=allowed) as params:
                await http.send_message(channel_id, params=params)
