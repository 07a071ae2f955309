"""Confirming a ``/scout-scan`` whose budget is above the auto-approve limit, as typed requests are.

The scan's fields are already a complete request, so there is no dialog to keep: the request
waits in this process under a short token, and the Run / Cancel buttons carry that token. After a
restart the token is unknown and the click says the confirmation expired, which costs nothing.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import discord

from oppscout.bot.discord.errors import report_error
from oppscout.bot.discord.views import handlers_of
from oppscout.core.contract import AnalysisRequest
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.settings import Settings

# Unanswered confirmations older than this are dropped; a click then says it expired.
PENDING_TTL_SECONDS = 24 * 3600
MAX_PENDING = 1000
EXPIRED = "That confirmation expired (or the bot restarted). Run `/scout-scan` again; nothing was started."


@dataclass(frozen=True)
class PendingScan:
    """A scan waiting for Run or Cancel."""

    request: AnalysisRequest
    ref: ThreadRef
    created: float


class PendingScans:
    """Scans awaiting confirmation in this process, oldest dropped first."""

    def __init__(self) -> None:
        self._pending: OrderedDict[str, PendingScan] = OrderedDict()

    def add(self, request: AnalysisRequest, ref: ThreadRef) -> str:
        """Keep ``request`` and return the token its buttons carry."""
        self._expire()
        token = secrets.token_hex(8)
        self._pending[token] = PendingScan(request, ref, time.monotonic())
        while len(self._pending) > MAX_PENDING:
            self._pending.popitem(last=False)
        return token

    def peek(self, token: str) -> PendingScan | None:
        """The scan for ``token`` without answering it (to check who may)."""
        return self._pending.get(token)

    def take(self, token: str) -> PendingScan | None:
        """The scan for ``token``, removed so that it can be answered once; None when unknown."""
        self._expire()
        return self._pending.pop(token, None)

    def _expire(self) -> None:
        cutoff = time.monotonic() - PENDING_TTL_SECONDS
        while self._pending and next(iter(self._pending.values())).created < cutoff:
            self._pending.popitem(last=False)


def needs_confirmation(request: AnalysisRequest, settings: Settings) -> bool:
    """Whether a scan's budget is above what runs without asking."""
    return request.max_cost > settings.auto_approve_usd


class ScanButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(r"oppscout:scan:(?P<token>[0-9a-f]{16}):(?P<action>run|cancel)"),
):
    """Run or Cancel a pending ``/scout-scan``."""

    def __init__(self, token: str, action: str) -> None:
        style = discord.ButtonStyle.success if action == "run" else discord.ButtonStyle.danger
        super().__init__(
            discord.ui.Button(label=action.title(), style=style, custom_id=f"oppscout:scan:{token}:{action}")
        )
        self.token, self.action = token, action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ScanButton:
        """Rebuild the button from a click."""
        return cls(match["token"], match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click to the handlers; errors go to the central handler."""
        try:
            await handlers_of(interaction).confirm_scan(interaction, self.token, self.action)
        except Exception as error:  # noqa: BLE001 - one central handler answers every failure
            await report_error(interaction, error)


def scan_view(token: str) -> discord.ui.View:
    """Run / Cancel under a scan's confirmation."""
    view = discord.ui.View(timeout=None)
    view.add_item(ScanButton(token, "run"))
    view.add_item(ScanButton(token, "cancel"))
    return view
