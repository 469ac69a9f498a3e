"""What the CHECKS.md tests share: cookie jars, replays, HTTPS and a frozen clock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import Actions
from webapp.demo import processes
from webapp.demo.processes import RedisServer

#: The origin the HTTPS tests pretend to be; browsers send it as Referer.
HTTPS_ORIGIN = "https://localhost"


@dataclass(frozen=True)
class SetCookie:
    """One ``Set-Cookie`` header, split into its name, value and attributes."""

    name: str
    value: str
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def deletes(self) -> bool:
        """Say whether this header tells the browser to drop the cookie."""
        expires = self.attributes.get("expires", "")
        return self.value == "" and (
            self.attributes.get("max-age") == "0" or "1970" in expires
        )

    def shape(self) -> dict[str, str]:
        """Return what a browser matches a deletion on: path, domain, flags."""
        keys = ("path", "domain", "secure", "httponly", "samesite")
        return {key: self.attributes[key] for key in keys if key in self.attributes}


def set_cookies(response: TestResponse) -> list[SetCookie]:
    """Return every cookie ``response`` sets or deletes."""
    found = []
    for header in response.headers.getlist("Set-Cookie"):
        pair, *parts = header.split(";")
        name, _, value = pair.strip().partition("=")
        attributes = {}
        for part in parts:
            key, _, attribute = part.strip().partition("=")
            key = key.lower()
            attributes[key] = attribute.lower() if key == "samesite" else attribute
        found.append(SetCookie(name, value.strip('"'), attributes))
    return found


def jar(client: FlaskClient) -> dict[str, str]:
    """Return the cookies the client would send, by name."""
    return {cookie.key: cookie.value for cookie in client._cookies.values()}  # type: ignore[union-attr]


def replay(app: Flask, cookies: dict[str, str]) -> FlaskClient:
    """Return a new browser that holds a copy of ``cookies``."""
    copy = app.test_client()
    for name, value in cookies.items():
        copy.set_cookie(name, value)
    return copy


def credentials(store_name: str) -> tuple[str, ...]:
    """Name the cookies that carry a login in store configuration ``store_name``."""
    if store_name.startswith("jwt"):
        return ("access_token_cookie", "refresh_token_cookie")
    return ("session",)


def server_record(app: Flask, sid: str) -> dict[str, Any] | None:
    """Return what a server-side store keeps under session id ``sid``."""
    record: dict[str, Any] | None = app.extensions["store"].interface.read_record(sid)
    return record


def logged_in(client: FlaskClient) -> bool:
    """Say whether /api/me knows the client, failing loudly on a server error."""
    status = client.get("/api/me").status_code
    assert status in (200, 401), status
    return status == 200


class HttpsClient(FlaskClient):
    """A browser that reaches the site over HTTPS, sending Referer as browsers do."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        """Send the request to the HTTPS origin, from a page of that origin."""
        kwargs.setdefault("base_url", HTTPS_ORIGIN)
        kwargs.setdefault("headers", {}).setdefault("Referer", HTTPS_ORIGIN + "/")
        return super().open(*args, **kwargs)


def https_client(app: Flask) -> FlaskClient:
    """Return a new browser for ``app`` that uses HTTPS."""
    return HttpsClient(app, app.response_class, use_cookies=True)


def assert_declared(app: Flask, check: str) -> None:
    """Assert the store says it cannot hold ``check``, and /session shows it."""
    reasons = app.extensions["store"].cannot_hold()
    assert check in reasons, f"{check} is not declared: {sorted(reasons)}"
    assert reasons[check]

    page = app.test_client().get("/session").get_data(as_text=True)
    assert f"<strong>{check}</strong>" in page


def assert_not_declared(app: Flask, check: str) -> None:
    """Assert the store does not claim it cannot hold a check it holds."""
    assert check not in app.extensions["store"].cannot_hold()


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """Freeze time.time() at now; tests move it with ``clock.shift(seconds)``."""
    with time_machine.travel(time.time(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def secure_actions(app: Flask) -> Actions:
    """Return visitor actions for a browser that reaches the site over HTTPS."""
    return Actions(https_client(app))


class RedisOutage:
    """A real redis-server that a test stops and starts again on the same port."""

    def __init__(self, server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
        self.server = server
        self.monkeypatch = monkeypatch

    @property
    def url(self) -> str:
        """Return the server's URL, the same before and after an outage."""
        return self.server.url

    def begin(self) -> None:
        """Stop the server, as a crash or a network partition would."""
        self.server.stop()

    def end(self) -> None:
        """Start an empty server on the port the site already points at."""
        port = self.server.port
        with self.monkeypatch.context() as patch:
            patch.setattr(processes, "free_port", lambda host="127.0.0.1": port)
            self.server.start()
        assert self.server.port == port


@pytest.fixture
def redis_outage(monkeypatch: pytest.MonkeyPatch) -> Iterator[RedisOutage]:
    """Start a redis-server of the test's own, stopped at the end whatever happens."""
    with RedisServer("outage-redis") as server:
        yield RedisOutage(server, monkeypatch)
