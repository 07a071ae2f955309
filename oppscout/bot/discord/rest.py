"""discord.py's REST client for the bot token, without a gateway connection (workers post this way)."""

from __future__ import annotations

import asyncio

from discord.http import HTTPClient, Route

from oppscout.core.settings import Settings


class DiscordRestClient:
    """Holds one HTTP client, logged in on first use: a worker may never post to Discord at all."""

    def __init__(self, settings: Settings) -> None:
        if settings.discord_token is None:
            raise ValueError(f"{type(self).__name__} needs OPPSCOUT_DISCORD_TOKEN")
        self.settings = settings
        self._token = settings.discord_token.get_secret_value()
        self._http: HTTPClient | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> HTTPClient:
        """The REST client, logged in on first use."""
        async with self._lock:
            if self._http is None:
                Route.BASE = self.settings.discord_api_base_url.rstrip("/")
                http = HTTPClient(asyncio.get_running_loop())
                await http.static_login(self._token)
                self._http = http
            return self._http

    async def aclose(self) -> None:
        """Close the HTTP session."""
        if self._http is not None:
            await self._http.close()
            self._http = None
