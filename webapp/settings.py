"""Every environment variable the site reads, its default and its validation.

Settings are read once, at start-up. A bad value stops the app with one
sentence that names the variable and says how to fix it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from limits import parse_many
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from stores import REGISTRY

STORE_NAMES = tuple(REGISTRY)
BLOCKLIST_NAMES = ("memory", "redis")
ENVIRONMENTS = ("production", "development")

#: A signing key shorter than this is refused outside development (256 bits).
MIN_KEY_BYTES = 32


class SettingsError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one instance of the site."""

    session_store: str = "memory"
    app_env: str = "production"
    secret_key: str = ""
    secret_key_fallbacks: tuple[str, ...] = ()
    secret_key_generated: bool = False
    jwt_secret_key: str = ""
    jwt_secret_key_fallbacks: tuple[str, ...] = ()
    jwt_blocklist: str = "memory"
    jwt_access_lifetime: int = 300
    jwt_issuer: str = "where-login-state-lives"
    jwt_audience: str = "where-login-state-lives"
    jwt_leeway: int = 5
    redis_url: str | None = None
    database_url: str | None = None
    session_idle_timeout: int = 1800
    session_max_age: int = 43200
    trusted_proxies: int = 0
    login_rate_limit: str = "10 per minute"
    instance_name: str = ""
    #: The JSON file the demo writes and /results reads; empty: the instance folder.
    demo_results: str = ""

    @property
    def development(self) -> bool:
        """Say whether the site runs in local development."""
        return self.app_env == "development"

    @property
    def rate_limit_storage_uri(self) -> str:
        """Return where Flask-Limiter keeps its counters: Redis when there is one."""
        return self.redis_url or "memory://"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings from ``environ`` (the process environment)."""
    env = os.environ if environ is None else environ

    store = env.get("SESSION_STORE", "memory").strip().lower() or "memory"
    if store not in STORE_NAMES:
        raise SettingsError(
            f"SESSION_STORE={store!r} is not a store this site knows;"
            f" set it to one of: {', '.join(STORE_NAMES)}."
        )

    app_env = env.get("APP_ENV", "production").strip().lower() or "production"
    if app_env not in ENVIRONMENTS:
        raise SettingsError(
            f"APP_ENV={app_env!r} is not recognised;"
            " set it to 'production' or 'development'."
        )
    development = app_env == "development"

    secret_key = env.get("SECRET_KEY", "")
    generated = False
    if not secret_key:
        if not development:
            raise SettingsError(
                "SECRET_KEY is not set; set it to a random value of at least"
                f" {MIN_KEY_BYTES} characters, the same on every instance"
                ' (python -c "import secrets; print(secrets.token_urlsafe(48))").'
            )
        secret_key = secrets.token_urlsafe(48)
        generated = True
    _check_key_length("SECRET_KEY", secret_key)
    fallbacks = _split_list(env.get("SECRET_KEY_FALLBACKS", ""))
    _check_fallback_lengths("SECRET_KEY_FALLBACKS", fallbacks)

    jwt_key = env.get("JWT_SECRET_KEY", "") or secret_key
    _check_key_length("JWT_SECRET_KEY", jwt_key)
    jwt_fallbacks = _split_list(env.get("JWT_SECRET_KEY_FALLBACKS", ""))
    _check_fallback_lengths("JWT_SECRET_KEY_FALLBACKS", jwt_fallbacks)
    if not jwt_fallbacks and not env.get("JWT_SECRET_KEY"):
        jwt_fallbacks = fallbacks

    redis_url = env.get("REDIS_URL", "").strip() or None
    if redis_url is not None and urlsplit(redis_url).scheme not in (
        "redis",
        "rediss",
        "unix",
    ):
        raise SettingsError(
            f"REDIS_URL={redis_url!r} is not a Redis URL;"
            " set it like redis://host:6379/0 (or rediss:// for TLS)."
        )
    if store == "redis" and redis_url is None:
        raise SettingsError(
            "SESSION_STORE=redis needs REDIS_URL; set it to the shared Redis,"
            " for example REDIS_URL=redis://127.0.0.1:6379/0."
        )

    blocklist = env.get("JWT_BLOCKLIST", "memory").strip().lower() or "memory"
    if blocklist not in BLOCKLIST_NAMES:
        raise SettingsError(
            f"JWT_BLOCKLIST={blocklist!r} is not recognised;"
            " set it to 'memory' or 'redis'."
        )
    if store == "jwt" and blocklist == "redis" and redis_url is None:
        raise SettingsError(
            "JWT_BLOCKLIST=redis needs REDIS_URL; set it to the shared Redis,"
            " for example REDIS_URL=redis://127.0.0.1:6379/0."
        )

    idle = _positive_int(env, "SESSION_IDLE_TIMEOUT", 1800)
    max_age = _positive_int(env, "SESSION_MAX_AGE", 43200)
    if idle > max_age:
        raise SettingsError(
            f"SESSION_IDLE_TIMEOUT ({idle}s) is longer than SESSION_MAX_AGE"
            f" ({max_age}s); set the idle timeout to at most the maximum age."
        )

    return Settings(
        session_store=store,
        app_env=app_env,
        secret_key=secret_key,
        secret_key_fallbacks=fallbacks,
        secret_key_generated=generated,
        jwt_secret_key=jwt_key,
        jwt_secret_key_fallbacks=jwt_fallbacks,
        jwt_blocklist=blocklist,
        jwt_access_lifetime=min(_positive_int(env, "JWT_ACCESS_LIFETIME", 300), idle),
        jwt_leeway=_positive_int(env, "JWT_LEEWAY", 5, minimum=0),
        redis_url=redis_url,
        database_url=_database_url(env),
        session_idle_timeout=idle,
        session_max_age=max_age,
        trusted_proxies=_positive_int(env, "TRUSTED_PROXIES", 0, minimum=0),
        login_rate_limit=_rate_limit(env),
        instance_name=env.get("INSTANCE_NAME", "").strip(),
        demo_results=env.get("DEMO_RESULTS", "").strip(),
    )


def _check_key_length(name: str, value: str) -> None:
    # Development too: a key set by hand there is as easy to brute-force.
    if len(value.encode()) < MIN_KEY_BYTES:
        raise SettingsError(
            f"{name} is shorter than {MIN_KEY_BYTES} bytes (256 bits);"
            " set it to a longer random value, not a password."
        )


def _check_fallback_lengths(name: str, keys: tuple[str, ...]) -> None:
    # A short old key still verifies what it signed, so it weakens the site
    # as much as a short current key would.
    if all(len(key.encode()) >= MIN_KEY_BYTES for key in keys):
        return
    raise SettingsError(
        f"{name} holds a key shorter than {MIN_KEY_BYTES} bytes (256 bits);"
        " remove it, or rotate to longer random values, not passwords."
    )


def _database_url(env: Mapping[str, str]) -> str | None:
    raw = env.get("DATABASE_URL", "").strip()
    if not raw:
        return None
    try:
        make_url(raw).get_dialect().import_dbapi()
    except (ArgumentError, NoSuchModuleError, ImportError):
        raise SettingsError(
            "DATABASE_URL is not a database URL this site can use; set it like"
            " sqlite:////var/data/accounts.sqlite3 or"
            " postgresql+psycopg://user:password@host:5432/name"
            " (postgres:// and postgresql:// need the +psycopg driver)."
        ) from None
    return raw


def _rate_limit(env: Mapping[str, str]) -> str:
    raw = env.get("LOGIN_RATE_LIMIT", "").strip() or "10 per minute"
    try:
        allowed = [limit.amount for limit in parse_many(raw)]
    except ValueError:
        allowed = [0]
    if not allowed or min(allowed) < 1:
        raise SettingsError(
            f"LOGIN_RATE_LIMIT={raw!r} is not a rate limit that lets anyone in;"
            " set it like '10 per minute' or '5/minute;50/hour'."
        )
    return raw


def _split_list(raw: str) -> tuple[str, ...]:
    # Elastic Beanstalk refuses commas in property values, so spaces separate too.
    return tuple(raw.replace(",", " ").split())


def _positive_int(
    env: Mapping[str, str], name: str, default: int, minimum: int = 1
) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise SettingsError(
            f"{name}={raw!r} is not a whole number of at least {minimum};"
            f" set it to one, or unset it for the default ({default})."
        )
    return value
