"""Fixtures: a real Redis for the session, and the site built for each store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from webapp import create_app
from webapp.demo.client import hidden_fields
from webapp.demo.processes import RedisServer

SECRET_KEY = "test-secret-key-of-more-than-thirty-two-bytes-0123456789"

#: Every store configuration the behaviour suite runs against.
STORES: dict[str, dict[str, str]] = {
    "memory": {"SESSION_STORE": "memory"},
    "redis": {"SESSION_STORE": "redis"},
    "cookie": {"SESSION_STORE": "cookie"},
    "jwt": {"SESSION_STORE": "jwt", "JWT_BLOCKLIST": "memory"},
    "jwt-redis": {"SESSION_STORE": "jwt", "JWT_BLOCKLIST": "redis"},
}


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """Start one real redis-server for the whole test session."""
    with RedisServer("test-redis") as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """Return the test Redis's URL, emptied before the test."""
    client = Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


def store_env(
    name: str, redis_url: str, tmp_path: Path, **overrides: str
) -> dict[str, str]:
    """Return the environment that runs store configuration ``name``."""
    env = {
        "APP_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'accounts.sqlite3'}",
        "LOGIN_RATE_LIMIT": "1000 per minute",
        **STORES[name],
    }
    if env["SESSION_STORE"] == "redis" or env.get("JWT_BLOCKLIST") == "redis":
        env["REDIS_URL"] = redis_url
    env.update(overrides)
    return env


@pytest.fixture(params=list(STORES))
def store_name(request: pytest.FixtureRequest) -> str:
    """Name each store configuration in turn."""
    return str(request.param)


@pytest.fixture
def make_app(store_name: str, redis_url: str, tmp_path: Path) -> Callable[..., Flask]:
    """Return a factory that builds the site for the current store."""

    def build(**overrides: str) -> Flask:
        app = create_app(store_env(store_name, redis_url, tmp_path, **overrides))
        app.config["TESTING"] = True
        return app

    return build


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """Build the site for the current store."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client for the site."""
    return app.test_client()


class Actions:
    """What a visitor does, through the HTML forms with their CSRF tokens."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def post_form(self, page: str, action: str, **data: Any) -> Any:
        """Load ``page`` and submit its form for ``action`` with ``data``."""
        html = self.client.get(page).get_data(as_text=True)
        return self.client.post(
            action,
            data={**hidden_fields(html, None if page == action else action), **data},
        )

    def register(self, username: str = "alice", password: str = "correct horse") -> Any:
        """Create an account (which also logs it in)."""
        return self.post_form(
            "/register", "/register", username=username, password=password
        )

    def log_in(
        self, username: str = "alice", password: str = "correct horse", **extra: Any
    ) -> Any:
        """Log in through the login form."""
        return self.post_form(
            "/login", "/login", username=username, password=password, **extra
        )

    def log_out(self) -> Any:
        """Log out through the form on the home page."""
        return self.post_form("/", "/logout")


@pytest.fixture
def actions(client: FlaskClient) -> Actions:
    """Return the visitor actions for the test client."""
    return Actions(client)
