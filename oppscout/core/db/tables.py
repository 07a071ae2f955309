"""The database tables. Queries live in the repository modules beside this one."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

USD = Numeric(14, 6)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store in UTC."""
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        Decimal: USD,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class AnalysisRow(Base):
    """One analysis: the request, where it came from, its state and its result."""

    __tablename__ = "analyses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    request: Mapped[dict[str, Any]]
    workspace_id: Mapped[str] = mapped_column(String(64), default="local", index=True)
    platform: Mapped[str] = mapped_column(String(16), default="console")
    requested_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]
    enqueued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    results: Mapped[dict[str, Any] | None]
    report_path: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class StageJobRow(Base):
    """One stage of one analysis, with its checkpoint so a retry resumes instead of redoing."""

    __tablename__ = "stage_jobs"
    __table_args__ = (UniqueConstraint("analysis_id", "stage", name="uq_stage_jobs_analysis_stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    analysis_id: Mapped[str] = mapped_column(ForeignKey("analyses.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    progress: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    estimated_completion: Mapped[datetime | None]
    cost_accumulated: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    checkpoint: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ItemRow(Base):
    """A post or comment collected for an analysis; stored once per analysis."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("analysis_id", "reddit_id", name="uq_items_analysis_reddit_id"),
        Index("ix_items_analysis_kind", "analysis_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    analysis_id: Mapped[str] = mapped_column(ForeignKey("analyses.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    reddit_id: Mapped[str] = mapped_column(String(32))
    subreddit: Mapped[str] = mapped_column(String(32))
    author: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[int] = mapped_column(Integer, default=0)
    num_comments: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    permalink: Mapped[str] = mapped_column(Text)
    post_id: Mapped[str | None] = mapped_column(String(32))
    parent_id: Mapped[str | None] = mapped_column(String(32))


class LedgerEntryRow(Base):
    """A reservation or charge for one paid call, keyed so a retried call is not charged twice."""

    __tablename__ = "ledger_entries"
    __table_args__ = (UniqueConstraint("analysis_id", "key", name="uq_ledger_analysis_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    analysis_id: Mapped[str] = mapped_column(ForeignKey("analyses.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    reserved_usd: Mapped[Decimal]
    actual_usd: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    settled_at: Mapped[datetime | None]


class ConversationRow(Base):
    """A chat thread: who talks to the bot where, its dialog state and its latest analysis."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("platform", "workspace_id", "channel_id", "thread_id", name="uq_conversations_thread"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace_id: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    analysis_id: Mapped[str | None] = mapped_column(ForeignKey("analyses.id", ondelete="SET NULL"), index=True)
    progress_message_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class InboundEventRow(Base):
    """An inbound platform event already handled (Slack event_id, Discord interaction id)."""

    __tablename__ = "inbound_events"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    received_at: Mapped[datetime]
    analysis_id: Mapped[str | None] = mapped_column(String(32))


class FeedbackRow(Base):
    """A 👍 or 👎 from one person on one opportunity of an analysis (the latest vote counts)."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("analysis_id", "rank", "platform", "user_id", name="uq_feedback_vote"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    analysis_id: Mapped[str] = mapped_column(ForeignKey("analyses.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    vote: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class RedditPostRow(Base):
    """A Reddit post kept for reuse across analyses (API cache or imported dump); raw text, purged after retention."""

    __tablename__ = "reddit_posts"
    __table_args__ = (Index("ix_reddit_posts_origin_sub_created", "origin", "subreddit_key", "created_at"),)

    reddit_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    subreddit: Mapped[str] = mapped_column(String(32))
    subreddit_key: Mapped[str] = mapped_column(String(32))
    author: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[int] = mapped_column(Integer, default=0)
    num_comments: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    permalink: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(8))
    fetched_at: Mapped[datetime] = mapped_column(index=True)


class RedditCommentRow(Base):
    """A Reddit comment kept for reuse (flattened, with parent links); raw text, purged after retention."""

    __tablename__ = "reddit_comments"

    reddit_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    post_id: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[str] = mapped_column(String(16))
    subreddit: Mapped[str] = mapped_column(String(32))
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    permalink: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(8))
    fetched_at: Mapped[datetime] = mapped_column(index=True)


class RedditListingRow(Base):
    """What part of one Reddit listing (a multireddit's new, or a search) is in the cache, and since when."""

    __tablename__ = "reddit_listings"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    covered_start: Mapped[datetime]
    covered_end: Mapped[datetime]
    fetched_at: Mapped[datetime] = mapped_column(index=True)
    older_cursor: Mapped[str | None] = mapped_column(String(32))
    reached_cap: Mapped[bool] = mapped_column(Boolean, default=False)


class RedditListingPostRow(Base):
    """A post seen in a cached listing."""

    __tablename__ = "reddit_listing_posts"

    listing_key: Mapped[str] = mapped_column(String(400), primary_key=True)
    reddit_id: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)


class RedditCommentFetchRow(Base):
    """When the comment tree of a post was last fetched (its comments are in ``reddit_comments``)."""

    __tablename__ = "reddit_comment_fetches"

    post_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    fetched_at: Mapped[datetime] = mapped_column(index=True)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)


class RedditSubredditRow(Base):
    """What Reddit said about a subreddit name: its display name and whether it can be read."""

    __tablename__ = "reddit_subreddits"

    name_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    checked_at: Mapped[datetime]


class ApiTokenRow(Base):
    """A bearer token for the web API, scoped to one workspace; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    workspace_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class WatchRow(Base):
    """A standing request: re-run an analysis on a cadence and alert the owner about what crosses a threshold."""

    __tablename__ = "watches"
    __table_args__ = (Index("ix_watches_due", "active", "next_run_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace_id: Mapped[str] = mapped_column(String(64), index=True)
    owner_id: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str] = mapped_column(String(64))
    subreddits: Mapped[list[Any]]
    keywords: Mapped[list[Any]]
    threshold: Mapped[int] = mapped_column(Integer)
    cadence_hours: Mapped[int] = mapped_column(Integer)
    monthly_budget_usd: Mapped[Decimal]
    push: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    next_run_at: Mapped[datetime]
    last_window_end: Mapped[datetime | None]
    budget_notice_month: Mapped[str | None] = mapped_column(String(7))
    cost_threshold_usd: Mapped[Decimal | None]
    """The month's spend the owner asked to hear about ("tell me when it has cost $1"); None for no alert."""
    cost_notice_month: Mapped[str | None] = mapped_column(String(7))


class WatchRunRow(Base):
    """One scheduled run of a watch: the window it covers, its analysis, and whether its alerts were decided."""

    __tablename__ = "watch_runs"
    __table_args__ = (UniqueConstraint("watch_id", "window_end", name="uq_watch_runs_window"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watches.id", ondelete="CASCADE"), index=True)
    analysis_id: Mapped[str | None] = mapped_column(String(32), index=True)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    max_cost_usd: Mapped[Decimal]
    created_at: Mapped[datetime]
    evaluated_at: Mapped[datetime | None]
    themes: Mapped[list[Any] | None]


class WatchAlertRow(Base):
    """An alert sent about one theme of a watch; the latest one per theme drives the cooldown."""

    __tablename__ = "watch_alerts"
    __table_args__ = (Index("ix_watch_alerts_theme", "watch_id", "theme_key", "alerted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watches.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(Integer)
    theme_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)
    alerted_at: Mapped[datetime]


class SpendCapRow(Base):
    """A workspace's own monthly caps, overriding the settings (None keeps the setting)."""

    __tablename__ = "spend_caps"

    workspace_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_monthly_usd: Mapped[Decimal | None]
    user_monthly_usd: Mapped[Decimal | None]
    updated_at: Mapped[datetime]


class ContactRow(Base):
    """Where to email a chat user when they ask for email notifications."""

    __tablename__ = "contacts"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    updated_at: Mapped[datetime]


class OutboxMessageRow(Base):
    """A DM or email waiting to be delivered, retried with backoff until sent or given up on."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    workspace_id: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(254))
    text: Mapped[str] = mapped_column(Text)
    report_platform: Mapped[str | None] = mapped_column(String(16))
    report_channel_id: Mapped[str | None] = mapped_column(String(64))
    report_thread_id: Mapped[str | None] = mapped_column(String(64))
    report_user_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class OutboxAttemptRow(Base):
    """One try at delivering an outbox message, with what went wrong."""

    __tablename__ = "outbox_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)


class ChatReadChargeRow(Base):
    """What reading one chat message with the LLM cost: charged to the workspace (and person), not an analysis."""

    __tablename__ = "chat_read_charges"
    __table_args__ = (UniqueConstraint("workspace_id", "key", name="uq_chat_read_charge_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[str | None] = mapped_column(String(128))
    key: Mapped[str] = mapped_column(String(128))
    usd: Mapped[Decimal]
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
