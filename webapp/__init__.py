"""The login site: ``create_app`` builds it around the store SESSION_STORE names."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask, Response
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from stores import load_store
from stores.base import CHECK_TITLES
from webapp.cookies import CookiePolicy
from webapp.errors import register_error_handlers
from webapp.extensions import StoreLoginManager, csrf, db, limiter
from webapp.instance import describe_instance
from webapp.settings import Settings, SettingsError, load_settings


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    """Build the site from ``environ`` (default: the process environment)."""
    settings = load_settings(environ)
    app = Flask(__name__)
    configure(app, settings)

    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager = StoreLoginManager(app)

    store = load_store(settings)
    store.init_app(app)
    app.extensions["store"] = store
    app.extensions["instance"] = describe_instance(settings.instance_name)

    from webapp.accounts.cli import bp as cli_bp
    from webapp.accounts.views import bp as account_bp
    from webapp.auth.views import bp as auth_bp
    from webapp.demo.views import bp as demo_bp
    from webapp.pages.views import bp as pages_bp

    app.register_blueprint(cli_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(demo_bp)
    app.register_blueprint(pages_bp)
    register_error_handlers(app, login_manager)
    register_page_context(app)

    create_tables(app)

    app.wsgi_app = CookiePolicy(app.wsgi_app)  # type: ignore[method-assign]
    if settings.trusted_proxies:
        # Every proxy appends to X-Forwarded-For, but only the one that ends
        # TLS sets X-Forwarded-Proto, so the scheme is trusted from one hop.
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=1)  # type: ignore[method-assign]

    announce(app, settings)
    return app


def create_tables(app: Flask) -> None:
    """Create the accounts table, refusing to start when the database cannot."""
    # Workers and instances that start together race to create the table; the
    # loser's second look finds it there.
    for attempt in (1, 2):
        try:
            with app.app_context():
                db.create_all()
            return
        except SQLAlchemyError as error:
            if attempt == 1:
                continue
            reason = str(getattr(error, "orig", None) or error).splitlines()[0]
            raise SettingsError(
                f"DATABASE_URL points at a database that cannot be used ({reason});"
                " start that database, fix the URL, or unset it for a local"
                " SQLite file."
            ) from None


def configure(app: Flask, settings: Settings) -> None:
    """Copy the validated settings into Flask's and the extensions' config."""
    database_url = settings.database_url
    if database_url is None:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{Path(app.instance_path) / 'accounts.sqlite3'}"

    app.config.update(
        SECRET_KEY=settings.secret_key,
        SECRET_KEY_FALLBACKS=list(settings.secret_key_fallbacks),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        SESSION_REFRESH_EACH_REQUEST=False,
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=settings.session_max_age),
        MAX_CONTENT_LENGTH=64 * 1024,
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        WTF_CSRF_TIME_LIMIT=3600,
        LOGIN_RATE_LIMIT=settings.login_rate_limit,
        RATELIMIT_STORAGE_URI=settings.rate_limit_storage_uri,
        RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 2, "socket_timeout": 2}
        if settings.redis_url
        else {},
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_HEADERS_ENABLED=True,
    )
    app.extensions["settings"] = settings


def register_page_context(app: Flask) -> None:
    """Give every template the store, its residence and the instance."""

    @app.template_filter("timestamp")
    def timestamp(seconds: int) -> str:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")

    @app.context_processor
    def page_context() -> dict[str, object]:
        store = app.extensions["store"]
        return {
            "store": store,
            "residence": store.residence(),
            "prediction": store.prediction(),
            "instance": app.extensions["instance"],
            "store_form_fields": store.form_fields,
            "check_titles": CHECK_TITLES,
            "settings": app.extensions["settings"],
        }

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
        )
        return response


def announce(app: Flask, settings: Settings) -> None:
    """Log the one start-up line, and a warning for a generated secret key."""
    if not app.debug and not app.testing:
        app.logger.setLevel(logging.INFO)
    store = app.extensions["store"]
    residence = store.residence()
    instance = app.extensions["instance"]
    where = residence.state_detail
    if residence.revocation_detail:
        where += f"; {residence.revocation_detail}"
    app.logger.info(
        "Store %s on instance %s (host %s, pid %s): login state lives in %s",
        store.name,
        instance["id"],
        instance["host"],
        instance["pid"],
        where,
    )
    if settings.secret_key_generated:
        app.logger.warning(
            "SECRET_KEY is not set, so a random one was made for this process:"
            " whatever it signs (cookie and jwt logins, form tokens) will not"
            " survive a restart. Set SECRET_KEY to keep them."
        )
