"""Watches: standing analyses that re-run on a cadence and DM their owner about what is worth building."""

from oppscout.core.watches.commands import WatchCommands, match_watch_command
from oppscout.core.watches.models import WatchSpec, WatchView, cadence_label
from oppscout.core.watches.notifier import AlertNotifier
from oppscout.core.watches.scheduler import TickResult, WatchScheduler
from oppscout.core.watches.service import WatchService

__all__ = [
    "AlertNotifier",
    "TickResult",
    "WatchCommands",
    "WatchScheduler",
    "WatchService",
    "WatchSpec",
    "WatchView",
    "cadence_label",
    "match_watch_command",
]
