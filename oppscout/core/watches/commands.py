"""Chat commands about existing watches ("list watches", "pause watch 3", "my email is …").

The conversation parser finds *new* watches (Intent.WATCH); these commands manage the ones that
exist. ``WatchCommands.answer`` returns None for any other message, so the chat can try it first
and fall through to the parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.errors import AppError
from oppscout.core.watches.service import WatchService

_LEAD = r"^\s*(?:/\w+\s+)?(?:please\s+)?"
_TAIL = r"\s*(?:please|pls|thanks)?\s*[.!?]*\s*$"
LIST_RX = re.compile(
    _LEAD + r"(?:list|show|what are|which are)\s+(?:(?P<mine>my|our|the|all)\s+)?(?:watch(?:es)?|alerts)"
    r"(?:\s+(?:here|i have|we have))?" + _TAIL,
    re.IGNORECASE,
)
CHANGE_RX = re.compile(
    _LEAD + r"(?P<verb>pause|stop|suspend|resume|restart|unpause|delete|remove|cancel)\s+(?:the\s+|my\s+)?"
    r"watch(?:ing)?\s*(?:#|number\s+|no\.?\s*)?(?P<id>\d+)" + _TAIL,
    re.IGNORECASE,
)
EMAIL_RX = re.compile(
    _LEAD + r"(?:my\s+e-?mail(?:\s+address)?\s+is|e-?mail\s+me\s+at|use\s+e-?mail)\s+(?P<address>\S+@\S+?)" + _TAIL,
    re.IGNORECASE,
)
VERBS = {
    "pause": "pause", "stop": "pause", "suspend": "pause",
    "resume": "resume", "restart": "resume", "unpause": "resume",
    "delete": "delete", "remove": "delete", "cancel": "delete",
}  # fmt: skip


@dataclass(frozen=True)
class WatchCommand:
    """A recognised command: ``action`` is list, pause, resume, delete or email."""

    action: str
    watch_id: int | None = None
    mine_only: bool = False
    address: str | None = None


def match_watch_command(text: str) -> WatchCommand | None:
    """The watch command in a message, or None when it is something else."""
    if m := LIST_RX.match(text):
        return WatchCommand("list", mine_only=(m.group("mine") or "").lower() == "my")
    if m := CHANGE_RX.match(text):
        return WatchCommand(VERBS[m.group("verb").lower()], watch_id=int(m.group("id")))
    if m := EMAIL_RX.match(text):
        return WatchCommand("email", address=m.group("address"))
    return None


class WatchCommands:
    """Answers watch commands through the WatchService."""

    def __init__(self, watches: WatchService) -> None:
        self.watches = watches

    async def answer(self, thread: ThreadRef, text: str) -> str | None:
        """The reply to a watch command, or None when ``text`` is not one. User mistakes come back as replies."""
        command = match_watch_command(text)
        if command is None:
            return None
        try:
            if command.action == "list":
                return await self.watches.describe_list(thread, mine_only=command.mine_only)
            if command.action == "email" and command.address:
                return await self.watches.set_email(thread, command.address)
            assert command.watch_id is not None
            actions = {"pause": self.watches.pause, "resume": self.watches.resume, "delete": self.watches.delete}
            return await actions[command.action](thread, command.watch_id)
        except AppError as error:
            return error.message
