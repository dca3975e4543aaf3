"""Settings, read from `ROOST_*` environment variables and an optional `.env` file."""

from __future__ import annotations

import os
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REAL_X_API = "https://api.x.com"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_config(level: str = "INFO") -> dict[str, Any]:
    """One log format (time, level, logger) for every process, as a `logging.config.dictConfig` document: uvicorn
    takes it as its `log_config` (`roost serve`, `roost xsim`), `roost collect` applies it itself. uvicorn's loggers
    get no handler of their own and reach the root's, like the collector's warnings under `roost serve`."""
    quiet = {"level": level, "handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": LOG_FORMAT}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {name: quiet for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
    }


XSIM_DEFAULT_TOKEN = "xsim-token"
# `roost serve --workers N`: uvicorn's worker processes can only import the app factory, so the settings the command
# resolved (its options over the environment and .env) reach them as this one variable, the settings as JSON.
SERVED_SETTINGS = "ROOST_SERVED_SETTINGS"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROOST_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///roost-data/roost.db",
        description="SQLAlchemy URL: a SQLite file (default) or postgresql+asyncpg://...",
    )
    x_bearer_token: str = Field(default="", description="X API bearer token(s), comma-separated to pool them")
    x_api_base: str = Field(
        default="",
        description="X API base URL; empty means the real API when a token is set, else the in-process emulator",
    )
    snapshot_interval: int = Field(default=3600, ge=60, description="Seconds per snapshot bucket")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64, description="API processes `roost serve` runs on one port")
    collector: bool = Field(default=True, description="`roost serve` also runs one collector")
    read_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        le=3600,
        description="Longest time a stats answer is kept in memory; any commit to the data drops it at once "
        "(0: keep nothing)",
    )
    access_log: bool = Field(default=False, description="Log every request (off: the log line costs throughput)")
    xsim_seed: int = Field(default=2024, description="Seed of the emulator's world")
    demo: bool = Field(
        default=True,
        description="On a first run with the emulator as upstream, create a demo account with 30 days of history",
    )
    tag_limit: int | None = Field(
        default=None, ge=0, description="Tags an account may have (unset: unlimited, as /me/balances says)"
    )
    timeline: bool = Field(default=True, description="Archive the tracked accounts' posts after each snapshot pass")
    retention_hourly_months: int | None = Field(
        default=None,
        ge=1,
        le=1200,
        description="Keep hourly snapshots this many months, then only each UTC day's close (unset: keep all)",
    )
    backfill_depth: int = Field(
        default=200,
        ge=1,
        le=3200,
        description="Posts read back when an account is first tracked (X serves 3200; 200 posts cost $1.00 once)",
    )
    refresh_schedule: str = Field(
        default="1h,24h",
        description="Ages of a post at which its metrics are read again, e.g. 1h,24h,7d (each stage after the "
        "day a post was archived costs a post read; `none`: never)",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body accepted; a bigger one is answered 413 unread"
    )
    max_header_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Largest request head (request line and headers); bigger is 431"
    )
    max_headers: int = Field(default=100, ge=10, description="Most headers a request may carry; more is 431")
    header_timeout: float = Field(
        default=10, gt=0, description="Seconds a request's head may take to arrive; then 408 and the connection closes"
    )
    body_timeout: float = Field(
        default=30, gt=0, description="Seconds a request's body may take after its head; then 408, connection closed"
    )
    max_connections: int = Field(
        default=1000, ge=1, description="Concurrent connections (and requests) per process; beyond it, 503"
    )
    login_failures_per_email: int = Field(
        default=10, ge=1, description="Failed logins one email may have in the window before 429"
    )
    login_failures_per_address: int = Field(
        default=100, ge=1, description="Failed logins one client address may have in the window before 429"
    )
    login_failure_window: int = Field(default=900, ge=1, description="Seconds the failed-login counts look back")
    alert_lease_seconds: int = Field(
        default=120, ge=2, le=3600,
        description="Seconds a worker holds an alert delivery it is sending; past it (the worker died), another one "
        "sends it again under the same idempotency key",
    )  # fmt: skip
    public_url: str = Field(
        default="",
        description="The address people reach this Roost at (e.g. https://roost.example.com); scheduled reports "
        "sent to webhooks and chat link to their CSV and chart under it (empty: http://HOST:PORT)",
    )
    secure_cookies: bool = Field(
        default=False,
        description="Always set the Secure flag on dashboard cookies (behind a TLS-terminating proxy); without "
        "it the flag is set only when the request itself came over https",
    )

    x_monthly_budget: float | None = Field(
        default=None,
        gt=0,
        description="US dollars the X API may bill in a billing month (empty: no budget); snapshots are cut last",
    )
    x_billing_day: int = Field(
        default=1, ge=1, le=31, description="Day of the month the X billing month (and a post cap) starts"
    )
    x_post_cap: int | None = Field(
        default=None, ge=1, description="A legacy plan's monthly post cap (empty: pay-per-use, 2,000,000)"
    )
    operators: str = Field(
        default="",
        description="Emails of the accounts that may read the whole X bill through the API (GET /usage?scope=all), "
        "comma-separated; every account sees what its own trackers cost",
    )
    x_price_user: float = Field(default=0.010, ge=0, description="US dollars X charges per user read")
    x_price_post: float = Field(default=0.005, ge=0, description="US dollars X charges per post read")

    @field_validator("x_monthly_budget", "x_post_cap", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    backup_dir: str = Field(
        default="",
        description="Directory of scheduled backups, taken by the process running the collector (empty: none)",
    )
    backup_interval: int = Field(default=86400, ge=60, description="Seconds between scheduled backups")
    backup_keep: int = Field(default=7, ge=1, description="Scheduled backups kept (the oldest are deleted)")

    @field_validator("x_api_base")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def serialized(self) -> str:
        """These settings as one value (JSON) that `served` reads back exactly, whatever the environment says."""
        return self.model_dump_json()

    @classmethod
    def served(cls) -> Settings:
        """The settings `roost serve` handed its worker processes (SERVED_SETTINGS); without them, the environment's."""
        handed = os.environ.get(SERVED_SETTINGS)
        return cls.model_validate_json(handed) if handed else cls()

    @property
    def base_url(self) -> str:
        """Where links in reports point: ROOST_PUBLIC_URL, else this server's own address."""
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    @property
    def x_tokens(self) -> list[str]:
        return [t.strip() for t in self.x_bearer_token.split(",") if t.strip()]

    @property
    def uses_embedded_emulator(self) -> bool:
        """No token and no base URL: talk to an in-process `xsim` instead of the network."""
        return not self.x_tokens and not self.x_api_base

    @property
    def x_base_url(self) -> str:
        if self.x_api_base:
            return self.x_api_base
        return REAL_X_API if self.x_tokens else "http://xsim.local"

    @property
    def x_token_pool(self) -> list[str]:
        """Tokens to send; an emulator needs one too, so fall back to its default."""
        return self.x_tokens or [XSIM_DEFAULT_TOKEN]
