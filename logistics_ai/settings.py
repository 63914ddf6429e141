"""Every runtime setting, read from the environment with a documented default.

The defaults give the embedded mode: SQLite, in-process state and pub/sub, offline
AI and geocoding. Production switches each part on through environment variables
alone; `Settings.check_production()` refuses an unsafe prod configuration.
"""

from __future__ import annotations

import os
import secrets
import time
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The public development secret of earlier releases: anyone could forge tokens with it, so it
# is refused wherever it is configured, and nothing falls back to it any more.
DEFAULT_SECRET = "dev-insecure-secret-change-me-0000000000"
PUBLIC_SECRETS = frozenset({DEFAULT_SECRET})
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DATABASE_URL = f"sqlite:///{DEFAULT_DATA_DIR / 'logistics_ai.db'}"
SECRET_FILE_NAME = "secret_key"
# Environments that must be configured explicitly: same checks for staging as for prod.
STRICT_ENVS = frozenset({"staging", "prod"})


class UnsafeSettingsError(RuntimeError):
    """Raised at start-up when prod is configured with a development-only value."""


class Settings(BaseSettings):
    """Application settings. Each field's description is rendered into the README table."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    app_env: Literal["dev", "staging", "prod"] = Field(
        "dev", description="Deployment environment: dev, staging or prod."
    )
    debug: bool = Field(False, description="Verbose errors and debug logs. Refused in prod.")
    secret_key: str = Field(
        "",
        description="Key for signing tokens and deriving field-encryption keys (32+ chars). "
        "Required in staging and prod; in dev a random one is generated on first start and "
        "kept in DATA_DIR/secret_key (mode 0600).",
    )
    data_dir: Path = Field(
        DEFAULT_DATA_DIR,
        description="Folder for the embedded data: SQLite database, generated secret, local files.",
    )
    field_encryption_keys: str = Field(
        "",
        description="Fernet keys for personal data at rest, comma-separated, newest first. "
        "Empty: derived from SECRET_KEY.",
    )
    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL. sqlite:///path (embedded) or postgresql+psycopg://...",
    )
    db_pool_size: int = Field(
        12,
        ge=1,
        le=200,
        description="PostgreSQL connections kept open per process. Keep it >= API_THREADS: "
        "each API request holds at most one connection in one thread, so threads never "
        "wait for each other's connections.",
    )
    db_max_overflow: int = Field(
        4,
        ge=0,
        le=200,
        description="Extra PostgreSQL connections per process for bursts from UI handlers and "
        "jobs (opened and closed on demand; keep it small to avoid connection churn).",
    )
    api_threads: int = Field(
        12,
        ge=1,
        le=200,
        description="Worker threads per process for API requests (one thread hop per request).",
    )
    api_max_in_flight: int = Field(
        128,
        ge=1,
        le=10_000,
        description="API requests in progress per process beyond which new ones get an "
        "immediate 503 with Retry-After.",
    )
    api_queue_timeout_ms: int = Field(
        1000,
        ge=0,
        le=60_000,
        description="An admitted API request still waiting for a worker thread this many "
        "milliseconds later gets a 503 with Retry-After instead of starting (nothing written). "
        "0: no deadline.",
    )
    sign_in_concurrency: int = Field(
        1,
        ge=1,
        le=64,
        description="Password hashes (sign-in, sign-up, invitations) computed at once per "
        "process; Argon2 then cannot starve reads of CPU and threads.",
    )
    sign_in_queue: int = Field(
        32,
        ge=0,
        le=10_000,
        description="Sign-in requests allowed to wait for a slot per process; beyond that, or "
        "after 2 s of waiting, they get 503 with Retry-After.",
    )
    db_pool_timeout: float = Field(
        10.0, gt=0, description="Seconds to wait for a pooled connection."
    )
    db_pgbouncer: bool = Field(
        False,
        description="The database URL points at PgBouncer in transaction mode: no server-side "
        "prepared statements.",
    )
    db_app_role: str = Field(
        "",
        max_length=63,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$|^$",
        description="PostgreSQL role the app and worker connect as, when migrations run as "
        "the schema owner: each migration grants it what it needs but no UPDATE/DELETE on the "
        "audit trail. Empty: no grants.",
    )
    db_app_password: str = Field(
        "",
        description="Password of DB_APP_ROLE, read by the migration step only (running as the "
        "owner): the role is created (LOGIN, no other attribute) when missing and its password "
        "set. Empty: the role must already exist.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL for cache, sessions, rate limits and pub/sub. Unset: in-process.",
    )
    redis_sentinels: str = Field(
        "",
        description="Redis Sentinels as host:port, comma-separated. Set: every Redis client "
        "asks them for the current primary (REDIS_URL still gives the password and db).",
    )
    redis_sentinel_master: str = Field(
        "lai", description="Name of the primary the Sentinels monitor."
    )
    redis_key_prefix: str = Field(
        "lai:",
        description="Prefix for every Redis key this app writes (lets deployments share Redis).",
    )
    public_base_url: str = Field(
        "http://localhost:3000", description="Public origin, used in links and cookie policy."
    )
    seed_demo: bool = Field(
        True, description="Seed the demo city on first start when the database is empty."
    )
    demo_password: str = Field(
        "logistics-demo", description="Password of the demo accounts. Refused when APP_ENV=prod."
    )
    session_ttl_seconds: int = Field(
        12 * 3600, ge=300, description="Lifetime of a browser login session."
    )
    login_free_failures: int = Field(
        3,
        ge=1,
        le=20,
        description="Failed sign-ins for one account from one address before each next "
        "attempt has to wait (accounts are never locked).",
    )
    login_delay_base_seconds: float = Field(
        1.0,
        gt=0,
        le=60,
        description="First wait after the free failures; it doubles with each further failure.",
    )
    login_max_delay_seconds: float = Field(
        900.0, gt=0, description="Longest wait for one address (per account or over all)."
    )
    login_account_max_delay_seconds: float = Field(
        60.0,
        gt=0,
        description="Longest wait for an account over all addresses (botnets); addresses the "
        "account recently signed in from are exempt.",
    )
    login_failure_window_seconds: int = Field(
        3600, ge=60, description="Failed sign-ins are forgotten after this long."
    )
    jwt_keys: str = Field(
        "",
        description="Access-token signing keys as `kid:secret` pairs, comma-separated; "
        "two during a rotation. Empty: one key derived from SECRET_KEY.",
    )
    jwt_active_kid: str = Field(
        "", description="Which JWT_KEYS entry signs new tokens (default: the first)."
    )
    access_token_ttl_seconds: int = Field(
        900, ge=60, le=3600, description="Lifetime of an API access token (JWT)."
    )
    refresh_token_ttl_seconds: int = Field(
        30 * 86400, ge=3600, description="Lifetime of a refresh-token family without use."
    )
    rate_limit_auth_per_ip: int = Field(
        20, ge=1, description="Requests to /api/v1/auth/* per client IP per window."
    )
    rate_limit_auth_per_account: int = Field(
        10, ge=1, description="Login attempts per account (email) per window."
    )
    rate_limit_auth_window_seconds: int = Field(
        60, ge=1, description="Window of the /auth rate limits, in seconds."
    )
    auth_cache_seconds: float = Field(
        5.0,
        ge=0,
        le=60,
        description="How long a worker may answer an API token's session check from memory "
        "(security/session_cache.py). Sign-outs and revocations reach every worker over the "
        "event bus at once; this is the bound when that message is missed. 0: ask Redis on "
        "every request.",
    )
    rate_limit_api_per_principal: int = Field(
        600, ge=1, description="API requests per user or API key per window."
    )
    rate_limit_api_window_seconds: int = Field(
        60, ge=1, description="Window of the general API rate limit, in seconds."
    )
    trusted_proxy_hops: int = Field(
        0,
        ge=0,
        le=5,
        description="Reverse proxies in front of the app whose X-Forwarded-For "
        "is trusted for the client IP (1 behind nginx).",
    )
    refresh_family_max_age_seconds: int = Field(
        90 * 86400,
        ge=3600,
        description="Absolute lifetime of a sign-in (refresh-token family) however often it "
        "is used; then the person signs in again.",
    )
    staff_totp: Literal["auto", "required", "optional"] = Field(
        "auto",
        description="Two-factor sign-in for dispatchers and admins. required: a staff member "
        "without it is sent to set it up before anything else works, and the API refuses "
        "their tokens (403) until they sign in with a code. optional: their choice. auto: "
        "required in staging and prod, optional in dev (the embedded default).",
    )
    timezone: str = Field(
        "America/Chicago",
        description="IANA time zone of the operating area (service days, windows).",
    )
    service_radius_km: float = Field(
        80.0, gt=0, description="Pickups and drop-offs must lie within this distance of a depot."
    )
    osrm_url: str | None = Field(
        None, description="OSRM base URL for road travel times. Unset: haversine x 1.3 at 30 km/h."
    )
    geocoder: Literal["offline", "nominatim"] = Field(
        "offline",
        description="Address lookup: the offline demo-city gazetteer, or a Nominatim server.",
    )
    geocoder_url: str = Field(
        "https://nominatim.openstreetmap.org",
        description="Nominatim base URL (scheme, host, optional path) when GEOCODER=nominatim.",
    )
    geocoder_user_agent: str = Field(
        "",
        description="Identifying User-Agent sent to Nominatim (its usage policy requires one, "
        "e.g. 'acme-logistics/1.0 ops@acme.example'). Required when GEOCODER=nominatim.",
    )
    geocoder_timeout_seconds: float = Field(
        5.0, gt=0, le=60, description="Timeout of one geocoding request."
    )
    geocoder_retries: int = Field(
        1, ge=0, le=5, description="Retries of a geocoding request that timed out or failed."
    )
    geocoder_min_delay_seconds: float = Field(
        1.0,
        ge=0,
        le=60,
        description="Minimum spacing of geocoding requests per process (public Nominatim "
        "allows 1/s in total: with N processes use N, or run your own server).",
    )
    geocoder_cache_ttl_seconds: int = Field(
        7 * 24 * 3600, ge=0, description="How long geocoding answers are cached (Redis if set)."
    )
    geocoder_country_codes: str = Field(
        "us", description="Comma-separated ISO country codes Nominatim searches ('' for all)."
    )
    map_tile_url: str = Field(
        "",
        description="Map tile URL template, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png "
        "(add its host to the proxy's CSP img-src). Empty: no tiles, markers and routes on a "
        "plain background, and the browser contacts no third party.",
    )
    map_attribution: str = Field(
        "",
        description="Attribution shown on the map for MAP_TILE_URL's tiles "
        "(e.g. '&copy; OpenStreetMap contributors', as the tile provider requires).",
    )
    shift_start: str = Field("07:00", description="Local time drivers' shifts start (planning).")
    shift_end: str = Field("21:00", description="Local time drivers' shifts end (planning).")
    stop_service_minutes: int = Field(
        5, ge=0, le=120, description="Minutes planned at each pickup and drop-off."
    )
    eta_refresh_seconds: float = Field(
        15.0,
        ge=0,
        le=300,
        description="A GPS batch recomputes the driver's ETAs only if this many seconds passed "
        "since the last recomputation, or they moved ETA_REFRESH_METERS, or their route changed "
        "(stop events always recompute). 0: every batch.",
    )
    eta_refresh_meters: float = Field(
        250.0,
        ge=0,
        le=50_000,
        description="Distance from the position of the last ETA recomputation after which a "
        "GPS batch recomputes at once.",
    )
    dispatch_budget_seconds: float = Field(
        5.0, gt=0, le=120, description="Solver time budget for the dashboard's auto-dispatch."
    )
    location_retention_days: int = Field(
        30,
        ge=1,
        le=3650,
        description="Days driver GPS pings are kept before the worker purges them.",
    )
    groq_api_key: str | None = Field(
        None,
        description="Groq API key. Unset: every AI feature answers with its offline path.",
    )
    groq_base_url: str = Field(
        "https://api.groq.com", description="Base URL of the Groq (OpenAI-compatible) API."
    )
    groq_model: str = Field("llama-3.3-70b-versatile", description="Groq model for AI features.")
    ai_timeout_seconds: float = Field(
        8.0, gt=0, le=120, description="Timeout of one AI call, in seconds."
    )
    ai_max_retries: int = Field(
        2, ge=0, le=5, description="Retries of a failed AI call (jittered exponential backoff)."
    )
    ai_max_output_tokens: int = Field(
        700, ge=16, le=8192, description="Output token budget of one AI call."
    )
    ai_max_input_chars: int = Field(
        12000, ge=500, description="Characters of context sent in one AI call at most."
    )
    ai_breaker_failures: int = Field(
        3, ge=1, description="Consecutive AI failures that open the circuit breaker."
    )
    ai_breaker_reset_seconds: float = Field(
        60.0, gt=0, description="Seconds the AI breaker stays open before one trial call."
    )
    ai_daily_token_budget: int = Field(
        200_000, ge=0, description="Groq tokens the organisation may use per day (0: none)."
    )
    ai_requests_per_user: int = Field(
        30, ge=1, description="AI requests per user per AI rate-limit window."
    )
    ai_rate_window_seconds: int = Field(
        60, ge=1, description="Window of the per-user AI rate limit, in seconds."
    )
    ai_send_personal_data: str = Field(
        "address,recipient_name",
        description="Personal data the AI may receive, comma-separated from address, "
        "recipient_name, phone, email. Anything else is masked before a call.",
    )
    ai_process_workers: int = Field(
        1,
        ge=0,
        le=8,
        description="Child processes per app worker that run the copilot's tool calls "
        "(cheapest insertion, late-risk explanations) off the event loop's GIL. 0: threads. "
        "Used only with REDIS_URL (proposals must be shared between processes).",
    )
    # --- Notifications (issue 12) ---------------------------------------------------------
    smtp_host: str | None = Field(
        None,
        description="SMTP server for customer email. Unset: mail is written as .eml files "
        "to MAIL_FILE_DIR (embedded default).",
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 SSL).")
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        "starttls", description="SMTP transport security: starttls, ssl (implicit TLS) or none."
    )
    smtp_username: str | None = Field(None, description="SMTP login; unset: no AUTH.")
    smtp_password: str | None = Field(None, description="SMTP password (secret).")
    smtp_timeout_seconds: float = Field(
        15.0, gt=0, le=120, description="Timeout of one SMTP conversation step."
    )
    mail_from: str = Field(
        "Logistics AI <no-reply@localhost>", description="From address of outgoing email."
    )
    mail_file_dir: str = Field(
        str(PROJECT_ROOT / "data" / "mail"),
        description="Where the embedded mail sink writes .eml files when SMTP_HOST is unset.",
    )
    sms_provider: Literal["file", "twilio"] = Field(
        "file",
        description="SMS provider: twilio (Twilio-compatible REST API) or file "
        "(embedded sink in MAIL_FILE_DIR, numbers masked).",
    )
    sms_api_url: str = Field(
        "https://api.twilio.com", description="Base URL of the Twilio-compatible SMS API."
    )
    sms_account_sid: str | None = Field(None, description="SMS API account SID.")
    sms_auth_token: str | None = Field(None, description="SMS API auth token (secret).")
    sms_from: str | None = Field(None, description="Sender number or messaging service id.")
    notify_max_attempts: int = Field(
        8, ge=1, le=50, description="Send attempts per notification before it is marked failed."
    )
    notify_backoff_seconds: float = Field(
        30.0, gt=0, description="First retry delay; doubles per attempt, with jitter."
    )
    notify_backoff_max_seconds: float = Field(
        3600.0, gt=0, description="Longest delay between two notification attempts."
    )
    notify_lease_seconds: int = Field(
        120,
        ge=10,
        description="How long a worker owns a claimed notification; after that (worker "
        "died mid-send) another worker may retry it.",
    )
    notify_poll_seconds: float = Field(
        1.0, gt=0, le=60, description="How often the worker looks for due notifications."
    )
    # --- Proof of delivery storage (issue 12) ----------------------------------------------
    storage_backend: Literal["local", "s3"] = Field(
        "local", description="Where proof-of-delivery files go: local disk or any S3 store."
    )
    storage_dir: str = Field(
        str(PROJECT_ROOT / "data" / "uploads"),
        description="Folder of the local file store (STORAGE_BACKEND=local).",
    )
    s3_bucket: str | None = Field(None, description="S3 bucket for proof-of-delivery files.")
    s3_endpoint_url: str | None = Field(
        None, description="S3 endpoint for non-AWS stores (MinIO, Ceph, R2...). Unset: AWS."
    )
    s3_region: str = Field("us-east-1", description="S3 region.")
    s3_access_key_id: str | None = Field(
        None, description="S3 access key. Unset: boto3's default chain (IAM role, env)."
    )
    s3_secret_access_key: str | None = Field(None, description="S3 secret key (secret).")
    s3_sse: Literal["AES256", "aws:kms", "none"] = Field(
        "AES256", description="Server-side encryption requested on every upload."
    )
    s3_kms_key_id: str | None = Field(None, description="KMS key id when S3_SSE=aws:kms.")
    proof_max_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="Largest proof-of-delivery photo accepted."
    )
    proof_url_ttl_seconds: int = Field(
        300, ge=30, le=3600, description="Lifetime of presigned proof-of-delivery URLs (S3)."
    )
    # --- Webhooks (issue 12) ----------------------------------------------------------------
    webhook_allow_private: bool = Field(
        False,
        description="Let webhooks reach private, loopback and link-local addresses "
        "(off: SSRF guard; only for tests and closed networks).",
    )
    webhook_timeout_seconds: float = Field(
        10.0, gt=0, le=60, description="Timeout of one webhook delivery (connect + response)."
    )
    webhook_retry_hours: float = Field(
        24.0, gt=0, le=168, description="How long a webhook delivery is retried before it fails."
    )
    webhook_disable_after_failures: int = Field(
        20, ge=1, description="Consecutive failed attempts after which an endpoint is disabled."
    )
    webhook_secret_overlap_hours: float = Field(
        24.0, ge=0, description="How long the previous secret still signs after a rotation."
    )
    proof_retention_days: int = Field(
        365,
        ge=1,
        le=3650,
        description="Days proof-of-delivery photos and signatures are kept before the worker "
        "deletes them (files and rows).",
    )
    closed_account_retention_days: int = Field(
        90,
        ge=1,
        le=3650,
        description="Days a deactivated account (not signed in since) is kept before the "
        "worker anonymises it as erasure would.",
    )
    audit_retention_days: int = Field(
        730,
        ge=30,
        le=3650,
        description="Days audit rows are kept; older ones are removed behind a signed "
        "checkpoint (needs a database role allowed to delete them).",
    )
    audit_checkpoint_interval_seconds: int = Field(
        900, ge=60, description="How often the worker signs a checkpoint of each audit chain."
    )
    privacy_notice_version: str = Field(
        "2026-11", max_length=16, description="Version of the privacy notice consents refer to."
    )
    log_level: str = Field("INFO", description="Log level (DEBUG, INFO, WARNING, ERROR).")
    log_json: bool = Field(False, description="Emit logs as JSON lines (on in prod).")
    otel_exporter_otlp_endpoint: str | None = Field(
        None,
        description="OTLP/HTTP collector base URL (e.g. http://otel-collector:4318) for traces "
        "of HTTP routes, Reflex events, SQL and Redis. Unset: tracing off.",
    )
    otel_service_name: str = Field("logistics-ai", description="service.name of the traces.")
    otel_sample_ratio: float = Field(
        1.0, ge=0, le=1, description="Share of new traces sampled (parent-based)."
    )

    @model_validator(mode="after")
    def _geocoder_identifies_itself(self) -> Settings:
        # Nominatim's usage policy: every client sends an identifying User-Agent.
        if self.geocoder == "nominatim" and not self.geocoder_user_agent.strip():
            raise ValueError("GEOCODER=nominatim needs GEOCODER_USER_AGENT (name and contact)")
        return self

    @field_validator("secret_key")
    @classmethod
    def _secret_long_enough(cls, value: str) -> str:
        if value and len(value) < 32:
            raise ValueError("SECRET_KEY must be at least 32 characters")
        return value

    @property
    def is_strict(self) -> bool:
        """staging and prod: explicit configuration, every safety check."""
        return self.app_env in STRICT_ENVS

    @property
    def staff_totp_required(self) -> bool:
        return self.staff_totp == "required" or (self.staff_totp == "auto" and self.is_strict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def production_problems(self) -> list[str]:
        """Every reason this configuration is unsafe for prod, naming the setting."""
        problems: list[str] = []
        if not self.secret_key:
            problems.append("SECRET_KEY is not set; set a random 32+ char secret")
        elif self.secret_key in PUBLIC_SECRETS:
            problems.append("SECRET_KEY is the public development value; set a random secret")
        if self.debug:
            problems.append("DEBUG must be false in prod")
        if self.is_sqlite:
            problems.append("DATABASE_URL points at SQLite; prod needs PostgreSQL")
        if not self.redis_url:
            problems.append("REDIS_URL is not set; prod needs Redis")
        if self.demo_password == "logistics-demo" and self.seed_demo:
            problems.append("SEED_DEMO is on with the public demo password; set SEED_DEMO=false")
        if self.public_base_url.startswith("http://"):
            problems.append("PUBLIC_BASE_URL uses plain HTTP; prod must be served over HTTPS")
        return problems

    def check_production(self) -> None:
        """staging and prod refuse every development-only value, naming each setting."""
        if not self.is_strict:
            return
        problems = self.production_problems()
        if problems:
            raise UnsafeSettingsError(
                f"Refusing to start with APP_ENV={self.app_env}: " + "; ".join(problems)
            )

    def with_embedded_secret(self) -> Settings:
        """dev without SECRET_KEY: a random secret made on first start and kept with the data."""
        if self.secret_key or self.is_strict:
            return self
        return self.model_copy(update={"secret_key": load_or_create_secret(self.data_dir)})


def load_or_create_secret(data_dir: Path) -> str:
    """Read DATA_DIR/secret_key, creating it (0600, exclusively) when it does not exist yet.

    Several worker processes may start at once: O_EXCL makes exactly one of them write it and
    the others read what it wrote.
    """
    path = Path(data_dir) / SECRET_FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process is between create and write
            value = path.read_text().strip()
            if value:
                return value
            time.sleep(0.02)
        raise UnsafeSettingsError(f"{path} is empty; delete it to generate a new secret") from None
    value = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    settings = Settings()
    settings.check_production()
    return settings.with_embedded_secret()


def settings_table_markdown() -> str:
    """The README's settings table, generated so the documentation cannot drift."""
    shown_default = {
        "database_url": "sqlite:///data/logistics_ai.db",
        "secret_key": "dev: generated into DATA_DIR/secret_key",
        "data_dir": "data",
        "mail_file_dir": "data/mail",
    }
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = shown_default.get(name, field.default)
        # Paths under the checkout are shown relative: the table is the same in every clone.
        if isinstance(default, str | Path) and str(default).startswith(f"{PROJECT_ROOT}/"):
            default = Path(default).relative_to(PROJECT_ROOT).as_posix()
        lines.append(f"| `{name.upper()}` | `{default}` | {field.description} |")
    return "\n".join(lines)
