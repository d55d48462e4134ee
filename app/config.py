"""Configuration: the only module that reads environment variables.

With no settings at all Clearloop runs on its embedded defaults: SQLite in ``instance/``, jobs run
inline (RQ ``is_async=False`` on an in-process fake Redis), email written to a local outbox that staff
read in the app. ``DATABASE_URL``, ``REDIS_URL`` and ``SMTP_HOST`` switch to PostgreSQL, real RQ
workers and a real mail relay with no code change.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = ROOT / "instance"


def _bool(value: str | None, default: bool = False) -> bool:
    """Parse a yes/no environment value."""
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: dict[str, str], name: str, default: int) -> int:
    """Parse a whole-number setting, falling back to the default when unset; say which setting is wrong."""
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise RuntimeError(f"{name} must be a whole number, not {value!r}") from None


def _ints(env: dict[str, str], name: str, default: str) -> tuple[int, ...]:
    """Parse a comma-separated list of whole numbers (e.g. ``2,10,30``)."""
    value = env.get(name, default)
    try:
        return tuple(int(x) for x in value.split(",") if x.strip())
    except ValueError:
        raise RuntimeError(f"{name} must be whole numbers separated by commas, not {value!r}") from None


def _database_url(env: dict[str, str], instance: Path) -> str:
    """Normalise DATABASE_URL to a SQLAlchemy URL that uses psycopg 3 for PostgreSQL."""
    url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'clearloop.db'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _base_url(env: dict[str, str], app_env: str) -> str:
    """Where links in emails, public links and embed codes point. Unset in development: the host and
    port ``make run`` serves on (``HOST``/``PORT``), so ``PORT=5101 make run`` mails working links."""
    explicit = env.get("BASE_URL", "").strip()
    if explicit:
        return explicit.rstrip("/")
    port = _int(env, "PORT", 5000) if app_env != "production" else 5000
    host = env.get("HOST", "").strip() if app_env != "production" else ""
    # every interface (a wildcard address): this machine's loopback answers too
    if host in ("", "0.0.0.0", "::", "[::]"):  # noqa: S104
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def load_config(env: dict[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from the environment (or a given mapping, for tests)."""
    env = dict(os.environ if env is None else env)
    instance = Path(env.get("CLEARLOOP_INSTANCE", str(DEFAULT_INSTANCE)))
    app_env = env.get("CLEARLOOP_ENV", "development")
    secret = env.get("SECRET_KEY")
    if not secret:
        if app_env == "production":
            raise RuntimeError("SECRET_KEY must be set when CLEARLOOP_ENV=production")
        secret = _dev_secret(instance)
    smtp_host = env.get("SMTP_HOST", "")
    return {
        "ENV_NAME": app_env,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": _database_url(env, instance),
        # PostgreSQL connections are pinged only after sitting idle (app/database.py), not on every checkout.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False},
        "REDIS_URL": env.get("REDIS_URL", ""),
        "BASE_URL": _base_url(env, app_env),
        "MAIL_TRANSPORT": "smtp" if smtp_host else "outbox",
        "SMTP_HOST": smtp_host,
        "SMTP_PORT": _int(env, "SMTP_PORT", 587),
        "SMTP_USERNAME": env.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _bool(
            env.get("SMTP_STARTTLS"), default=smtp_host not in ("", "127.0.0.1", "localhost")
        ),
        "SMTP_SSL": _bool(env.get("SMTP_SSL")),
        "SMTP_TIMEOUT": _int(env, "SMTP_TIMEOUT", 30),
        "MAIL_FROM": env.get("MAIL_FROM", "Clearloop <surveys@clearloop.localhost>"),
        "MAIL_BATCH_SIZE": _int(env, "MAIL_BATCH_SIZE", 100),
        # Seconds between tries of a temporary (4xx) SMTP failure within a batch.
        "MAIL_RETRY_DELAYS": _ints(env, "MAIL_RETRY_DELAYS", "2,10,30"),
        # An invitation claimed longer ago than this and still "sending" becomes "uncertain" (never resent).
        "MAIL_SENDING_TIMEOUT": _int(env, "MAIL_SENDING_TIMEOUT", 1800),
        # Per client IP, on every public respondent page and answer endpoint.
        "RESPOND_RATE_LIMIT": env.get("RESPOND_RATE_LIMIT", "60 per minute"),
        # Per API token (one budget across the API); requests without a valid token, per client IP.
        "API_RATE_LIMIT": env.get("API_RATE_LIMIT", "300 per minute"),
        # Webhooks: an endpoint failing without one success for this long is paused and admins emailed.
        "WEBHOOK_PAUSE_AFTER_HOURS": _int(env, "WEBHOOK_PAUSE_AFTER_HOURS", 72),
        # Test-only: webhooks may reach 127.0.0.1 (never read from the environment: never on in production).
        "WEBHOOKS_ALLOW_LOOPBACK": False,
        "NLP_MODEL": env.get("NLP_MODEL", ""),
        # Where the analyser keeps its constructed tables and models between processes (nlp.cache: keyed by
        # a hash of their inputs, rebuilt when they change); "" keeps nothing (every process builds them).
        "NLP_CACHE_DIR": env.get("NLP_CACHE_DIR", str(instance / "nlp_cache")),
        "NLP_TOPIC_MODEL_PATH": env.get("NLP_TOPIC_MODEL_PATH", str(instance / "topic_model")),
        # Texts per analyse call and per write transaction: each transaction's fixed cost (snapshot, row
        # locks, the topic_hits refresh, commit) shared by 256 responses instead of 64 (issue 18 §3).
        "NLP_BATCH_SIZE": _int(env, "NLP_BATCH_SIZE", 256),
        # Response ids per tagging job (its coalescing bucket): a job's queue cost stays a small share of
        # its analysis, and of its eight batches only the first one's analysis and the last one's write
        # are not overlapped (issue 18 §3); a job tags its bucket in NLP_BATCH_SIZE transactions.
        "NLP_JOB_SIZE": _int(env, "NLP_JOB_SIZE", 2048),
        # A job writes batch k on a connection of its own while it analyses batch k+1 (analysis.tagging.
        # BatchWriter): the database's work then runs beside the analyser's (issue 18 §3).
        "NLP_WRITE_OVERLAP": _bool(env.get("NLP_WRITE_OVERLAP"), default=True),
        # While a job's batches are written aside, the interpreter's GIL switch interval in microseconds
        # (0: Python's own, 5000): the writer waits for the GIL after every statement, up to the interval
        # each time while the analyser computes (analysis.dispatch.tag_ids; issue 18 §3).
        "NLP_WRITE_SWITCH_US": _int(env, "NLP_WRITE_SWITCH_US", 500),
        # A worker runs tagging jobs in its own process; it replaces itself by a fresh process after this
        # many of them, or once its resident memory passes this many MB (0: no limit) (app/workers.py).
        "WORKER_MAX_JOBS": _int(env, "WORKER_MAX_JOBS", 500),
        "WORKER_MAX_RSS_MB": _int(env, "WORKER_MAX_RSS_MB", 1024),
        "SWEEP_AFTER_SECONDS": _int(env, "SWEEP_AFTER_SECONDS", 120),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or env.get("REDIS_URL") or "memory://",
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), default=True),
        # A frozen Redis costs one short wait, then limits count in memory until it answers again.
        "RATELIMIT_STORAGE_OPTIONS": {
            "socket_timeout": float(env.get("REDIS_WEB_TIMEOUT") or 0.2),
            "socket_connect_timeout": float(env.get("REDIS_WEB_TIMEOUT") or 0.2),
        },
        # When Redis is down, limits keep working per process rather than failing the request:
        # answers must never be lost to a limiter outage, and sign-in stays limited (plus the DB lock).
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": "clearloop-rl",
        "LOGIN_MAX_FAILURES": _int(env, "LOGIN_MAX_FAILURES", 5),
        "LOGIN_ACCOUNT_MAX_FAILURES": _int(env, "LOGIN_ACCOUNT_MAX_FAILURES", 100),
        "TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES", 0),
        # Seconds a web process waits on Redis (queue and rate limits) before going on without it.
        "REDIS_WEB_TIMEOUT": float(env.get("REDIS_WEB_TIMEOUT") or 0.2),
        "LOGIN_LOCK_MINUTES": _int(env, "LOGIN_LOCK_MINUTES", 15),
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), default=app_env == "production"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), default=app_env == "production"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": _int(env, "SESSION_LIFETIME_HOURS", 12) * 3600,
        "SESSION_IDLE_MINUTES": _int(env, "SESSION_IDLE_MINUTES", 60),
        "MAX_CONTENT_LENGTH": _int(env, "MAX_UPLOAD_MB", 16) * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": ("en", "de", "fr", "es"),
        "DEMO_SEED": _int(env, "DEMO_SEED", 20261124),
    }


def _dev_secret(instance: Path) -> str:
    """Return a per-checkout development secret kept in instance/, so sessions survive restarts."""
    path = instance / "dev-secret-key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        instance.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        path.write_text(value)
        path.chmod(0o600)
        return value
