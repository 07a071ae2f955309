"""The watch service: what the chat calls to create, list, pause, resume and delete watches."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from oppscout.core.contract import normalize_subreddit, utcnow
from oppscout.core.contract.request import MAX_KEYWORD_LENGTH, MAX_KEYWORDS, MAX_SUBREDDITS
from oppscout.core.db.database import Database
from oppscout.core.db.repositories.conversations import ThreadRef
from oppscout.core.db.repositories.outbox import OutboxRepository
from oppscout.core.db.repositories.watches import WatchRepository
from oppscout.core.db.tables import WatchRow
from oppscout.core.errors import InvalidRequestError, NotFoundError
from oppscout.core.settings import Settings
from oppscout.core.spend import month_bounds
from oppscout.core.watches.budget import month_committed
from oppscout.core.watches.models import DAILY, WatchSpec, WatchView

MAX_CADENCE_HOURS = 24 * 31
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class WatchService:
    """Watches of chat users; every call is scoped to the caller's platform and workspace."""

    def __init__(self, database: Database, settings: Settings, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock

    async def create(self, thread: ThreadRef, spec: WatchSpec) -> WatchView:
        """Store a watch owned by the thread's user; its first run is due at once."""
        if not spec.subreddits:
            raise InvalidRequestError("Which subreddits should I watch? For example: watch r/SaaS for churn.")
        try:
            names = [normalize_subreddit(s) for s in spec.subreddits]
        except ValueError as error:
            raise InvalidRequestError(str(error)) from error
        # Reddit names are case-insensitive: r/SaaS and r/saas are one subreddit (the first spelling stays).
        subreddits: list[str] = []
        for name in names:
            if name.lower() not in {s.lower() for s in subreddits}:
                subreddits.append(name)
        if len(subreddits) > MAX_SUBREDDITS:
            raise InvalidRequestError(f"A watch can follow at most {MAX_SUBREDDITS} subreddits.")
        keywords = [" ".join(k.split()) for k in spec.keywords if k.strip()]
        if len(keywords) > MAX_KEYWORDS:
            raise InvalidRequestError(
                f"A watch can look for at most {MAX_KEYWORDS} keywords; you gave {len(keywords)}."
            )
        if any(len(k) > MAX_KEYWORD_LENGTH for k in keywords):
            raise InvalidRequestError(f"Keywords can be at most {MAX_KEYWORD_LENGTH} characters each.")
        threshold = self.settings.watch_default_threshold if spec.threshold is None else spec.threshold
        if not 0 <= threshold <= 100:
            raise InvalidRequestError("The alert threshold is a score from 0 to 100, like 70.")
        cadence = DAILY if spec.cadence_hours is None else spec.cadence_hours
        if not 1 <= cadence <= MAX_CADENCE_HOURS:
            raise InvalidRequestError("A watch can run hourly, daily, weekly, or every N hours up to a month.")
        budget = self.settings.watch_default_monthly_budget_usd if spec.monthly_budget is None else spec.monthly_budget
        if budget < 0:
            raise InvalidRequestError("A watch's monthly budget cannot be negative.")
        if spec.cost_threshold is not None and spec.cost_threshold < 0:
            raise InvalidRequestError("A cost alert is an amount of at least $0, like $1.")
        now = self.clock()
        notes: list[str] = []
        push = spec.push
        async with self.database.unit_of_work() as session:
            address = await OutboxRepository(session).email_of(thread.platform, thread.workspace_id, thread.user_id)
            if spec.email and address is None:
                # Email alone with no address would reach no one: DMs carry the alerts until an address is given.
                push = True
                notes.append(
                    "I don't have your email address yet, so I'll DM you until you tell me one: "
                    "say “my email is you@example.com”."
                )
            row = await WatchRepository(session).add(
                WatchRow(
                    platform=thread.platform,
                    workspace_id=thread.workspace_id,
                    owner_id=thread.user_id,
                    channel_id=thread.channel_id,
                    thread_id=thread.thread_id,
                    subreddits=subreddits,
                    keywords=keywords,
                    threshold=threshold,
                    cadence_hours=cadence,
                    monthly_budget_usd=budget,
                    push=push,
                    email=spec.email,
                    cost_threshold_usd=spec.cost_threshold,
                    active=True,
                    created_at=now,
                    next_run_at=now,
                )
            )
        view = WatchView.of(row, email_to=address if spec.email else None)
        view.notes.extend(notes)
        return view

    async def list_watches(self, thread: ThreadRef, *, mine_only: bool = False) -> list[WatchView]:
        """The watches of the thread's workspace on its platform (only the caller's when ``mine_only``)."""
        start, _ = month_bounds(self.clock())
        async with self.database.unit_of_work() as session:
            repo = WatchRepository(session)
            rows = await repo.list_for(thread.platform, thread.workspace_id, thread.user_id if mine_only else None)
            contacts = OutboxRepository(session)
            return [
                WatchView.of(
                    r,
                    await month_committed(session, r.id, start, spent_only=True),
                    await contacts.email_of(r.platform, r.workspace_id, r.owner_id) if r.email else None,
                )
                for r in rows
            ]

    async def describe_list(self, thread: ThreadRef, *, mine_only: bool = False) -> str:
        """The watches as chat text."""
        views = await self.list_watches(thread, mine_only=mine_only)
        if not views:
            return "There are no watches here yet. Try: watch r/SaaS for churn and DM me above 70, daily."
        return "\n".join(["Watches:", *(f"• {v.describe()}" for v in views)])

    async def _owned(self, thread: ThreadRef, watch_id: int) -> WatchRow:
        async with self.database.unit_of_work() as session:
            row = await WatchRepository(session).get(watch_id)
        if row is None or row.platform != thread.platform or row.workspace_id != thread.workspace_id:
            raise NotFoundError(f"There is no watch #{watch_id} here. Say “list watches” to see them.")
        if row.owner_id != thread.user_id:
            raise InvalidRequestError(f"Watch #{watch_id} belongs to someone else; only its owner can change it.")
        return row

    async def pause(self, thread: ThreadRef, watch_id: int) -> str:
        """Stop a watch's runs until it is resumed."""
        row = await self._owned(thread, watch_id)
        async with self.database.unit_of_work() as session:
            await WatchRepository(session).set_active(row.id, False)
        return f"Paused watch #{watch_id} ({WatchView.of(row).title}). Say “resume watch {watch_id}” to restart it."

    async def resume(self, thread: ThreadRef, watch_id: int) -> str:
        """Restart a paused watch; it runs at once and covers at most its catch-up window."""
        row = await self._owned(thread, watch_id)
        if row.active:
            return f"Watch #{watch_id} is already running."
        now = self.clock()
        async with self.database.unit_of_work() as session:
            await WatchRepository(session).set_active(row.id, True, next_run_at=now)
        return f"Resumed watch #{watch_id} ({WatchView.of(row).title}); its next run starts now."

    async def delete(self, thread: ThreadRef, watch_id: int) -> str:
        """Remove a watch for good."""
        row = await self._owned(thread, watch_id)
        async with self.database.unit_of_work() as session:
            await WatchRepository(session).delete(row.id)
        return f"Deleted watch #{watch_id} ({WatchView.of(row).title})."

    async def set_email(self, thread: ThreadRef, address: str) -> str:
        """Remember where to email the thread's user (watch alerts and summaries they asked to get by email)."""
        address = address.strip()
        if not re.fullmatch(EMAIL_PATTERN, address):
            raise InvalidRequestError(f"'{address}' does not look like an email address.")
        async with self.database.unit_of_work() as session:
            await OutboxRepository(session).set_email(
                thread.platform, thread.workspace_id, thread.user_id, address, self.clock()
            )
        return f"Got it: email notifications go to {address}."


def next_slot(seen: datetime, cadence_hours: int, now: datetime) -> datetime:
    """The first slot of the cadence after ``now``: missed slots are skipped, not run one by one."""
    step = timedelta(hours=cadence_hours)
    if seen > now:
        return seen
    missed = int((now - seen) / step) + 1
    return seen + step * missed
