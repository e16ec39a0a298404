"""Process-wide settings, read from the environment with the ``FRONTDESK_`` prefix."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FRONTDESK_", env_file=".env", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite+aiosqlite:///./var/frontdesk.db"
    redis_url: str | None = None
    # Used as a pepper for API-key and session-token hashes: rotating it signs everybody out.
    secret_key: str = DEVELOPMENT_SECRET
    session_cookie_name: str = "frontdesk_session"
    session_max_age_seconds: int = 14 * 24 * 3600
    # Secure cookies need HTTPS; the embedded default serves plain HTTP on localhost.
    secure_cookies: bool = False
    # argon2id cost: OWASP's recommended configuration (19 MiB, 2 passes; about 20 ms of one core). RFC 9106's
    # 64 MiB / 3 passes costs 130 ms here, and a flood of sign-ins at that size evicts the serving process's
    # caches: chats slowed 3-4x (benchmarks/signin_load.py). Hashes keep their own parameters, so raising
    # these later only changes new passwords. Tests lower them to keep the suite fast.
    password_time_cost: int = 2
    password_memory_cost_kib: int = 19456
    import_batch_size: int = 2000
    # Chat rate limits: a burst, then a steady rate (a sliding window of burst / rate seconds). Per IP address
    # counts every visitor behind a shared address (an office, a proxy), so it is looser than the per-visitor
    # limit. With redis_url set, every limit is counted in Redis and holds across all serving processes.
    visitor_message_burst: int = Field(default=10, ge=1)
    visitor_messages_per_second: float = Field(default=0.5, gt=0)
    ip_request_burst: int = Field(default=120, ge=1)
    ip_requests_per_second: float = Field(default=10.0, gt=0)
    # Sign-in attempts per e-mail address, and failed sign-ins per IP address, within the window; then 429 with
    # Retry-After. Checked before the password is hashed, so a flood of guesses costs the server no argon2 time.
    # A success resets its e-mail address's count.
    # Attempts at one account from one IP address; failures at one account from all addresses together (a
    # ceiling against guessing from many addresses, high enough that one attacker cannot lock its owner out).
    signin_attempts_per_account: int = Field(default=10, ge=1)
    signin_failures_per_account: int = Field(default=100, ge=1)
    signin_failures_per_ip: int = Field(default=50, ge=1)
    signin_window_seconds: int = Field(default=900, ge=1)
    # Requests per API key per minute: generous for integrations, a ceiling for a runaway script.
    api_requests_per_minute: int = Field(default=6000, ge=1)
    # Redis keys of the rate limits start with this (several installs, or test runs, may share one Redis).
    rate_limit_key_prefix: str = "frontdesk-limits"
    # Redis pub/sub channels are not kept apart by database number: installs sharing one Redis need their own.
    redis_channel_prefix: str = "frontdesk:"
    max_upload_bytes: int = 50 * 1024 * 1024
    # Lifecycle stages move with time (lapsed, churned) and RFM scores are relative: every serving process
    # recomputes them this often (0: never; then run `frontdesk analytics refresh` from cron).
    analytics_refresh_hours: float = Field(default=24.0, ge=0)
    # Where people reach this server: personal links in e-mails (surveys, reviews) start with it.
    public_url: str = "http://127.0.0.1:8000"
    # E-mail goes out through this server, e.g. smtp://user:password@mail.example:587 (STARTTLS) or
    # smtps://...:465; unset, nothing is mailed and the console lists the links for export instead. A password
    # is only ever sent over TLS: a server that offers no STARTTLS gets no AUTH, and the mail waits.
    smtp_url: str | None = None
    smtp_from: str = "Frontdesk <frontdesk@localhost>"
    # Chat attachments. On local disk under storage_path by default; in an S3-compatible bucket when
    # storage_s3_bucket is set (credentials from the usual AWS variables, or the two settings below).
    storage_path: str = "./var/files"
    storage_s3_bucket: str | None = None
    storage_s3_endpoint_url: str | None = None
    storage_s3_region: str | None = None
    storage_s3_access_key_id: str | None = None
    storage_s3_secret_access_key: str | None = None
    max_attachment_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    # Outbound webhooks. Every serving process runs a dispatcher (a lease on each delivery keeps an attempt to
    # one process); false turns this process's off, e.g. for a process that only serves the console.
    webhook_dispatcher: bool = True
    # How often a dispatcher looks for due deliveries queued by other processes (its own wake it at once).
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    # A receiver gets this long to answer; then the attempt counts as failed and is retried later.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # Connecting must succeed within this (inside the timeout above): an address that drops packets fails fast.
    webhook_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    # Requests in flight to one endpoint from one process. An endpoint at its cap is left out of the next
    # claims, so one that hangs holds this many requests and never delays the others' deliveries.
    webhook_endpoint_concurrency: int = Field(default=6, ge=1)
    # Deliveries a dispatcher takes in one claim (one short transaction).
    webhook_claim_batch: int = Field(default=200, ge=1)
    # A delivery is retried with growing pauses (5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 2-6 h) until
    # this long after it was queued; then it fails.
    webhook_retry_hours: float = Field(default=72.0, gt=0)
    # An endpoint is switched off (and its admins told in the audit log) after this many failed attempts in a row
    # with no success for webhook_disable_after_hours; an admin turns it back on in Settings → Connections.
    webhook_disable_after_failures: int = Field(default=10, ge=1)
    webhook_disable_after_hours: float = Field(default=72.0, ge=0)
    # Finished deliveries (with their attempts) and events no delivery needs any more are deleted after this.
    webhook_log_days: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError(
                "FRONTDESK_SECRET_KEY must be set to a long random value when FRONTDESK_ENVIRONMENT=production"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
