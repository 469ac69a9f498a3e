"""CHECKS.md S1-S8: session identifiers and the cookies that carry them."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

import jwt
import pytest
from flask import Flask, session
from flask.testing import FlaskClient

from tests.checks.conftest import (
    HTTPS_ORIGIN,
    SetCookie,
    assert_declared,
    credentials,
    https_client,
    jar,
    logged_in,
    replay,
    server_record,
    set_cookies,
)
from tests.conftest import Actions, store_env
from webapp import create_app
from webapp.cookies import MAX_COOKIE_BYTES
from webapp.settings import SettingsError

#: Characters a URL-safe base64 or hex session id is made of.
ID_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")
SERVER_SIDE = ("memory", "redis")
TOKENS = ("access_token_cookie", "refresh_token_cookie")


def unverified_claims(token: str) -> dict[str, object]:
    """Read a token's claims without checking it, as an attacker would."""
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_S1_session_ids_are_random_and_at_least_128_bits(
    app: Flask, client: FlaskClient, actions: Actions, store_name: str
) -> None:
    if store_name in SERVER_SIDE:
        ids = set()
        for _ in range(40):
            visitor = app.test_client()
            visitor.get("/login")
            ids.add(jar(visitor)["session"])
        assert len(ids) == 40
        for sid in ids:
            assert ID_ALPHABET.fullmatch(sid)
            assert len(sid) * 6 >= 128, sid
        actions.register()
        assert jar(client)["session"] not in ids
        return

    if store_name == "cookie":
        # No id at all: the cookie is unforgeable because its key is long.
        env = {"APP_ENV": "production", "SECRET_KEY": "x" * 31}
        with pytest.raises(SettingsError, match="SECRET_KEY"):
            create_app({**env, "SESSION_STORE": "cookie"})
        return

    logins = []
    for name in ("alice", "bob", "carol"):
        visitor = Actions(app.test_client())
        visitor.register(username=name)
        logins.append(unverified_claims(jar(visitor.client)["access_token_cookie"]))
    assert len({login["sid"] for login in logins}) == 3
    assert len({login["csrf"] for login in logins}) == 3
    for login in logins:
        assert isinstance(login["csrf"], str)
        assert len(login["csrf"]) * 6 >= 128


def test_S2_an_id_the_server_never_issued_is_not_adopted(
    app: Flask, client: FlaskClient, actions: Actions, store_name: str
) -> None:
    actions.register()
    actions.log_out()
    planted = {"session": "attacker-chosen-" + "A" * 30}
    if store_name.startswith("jwt"):
        planted.update(dict.fromkeys(TOKENS, "attacker.chosen.token"))
    victim = app.test_client()
    for name, value in planted.items():
        victim.set_cookie(name, value)

    first = victim.get("/login")
    for cookie in set_cookies(first):
        assert cookie.value != planted.get(cookie.name), cookie
    Actions(victim).log_in()
    assert logged_in(victim)

    assert not logged_in(replay(app, planted))
    for name, value in jar(victim).items():
        assert value != planted.get(name), name
    if store_name in SERVER_SIDE:
        assert server_record(app, planted["session"]) is None


@pytest.mark.parametrize("store_name", ["jwt", "jwt-redis"], indirect=True)
def test_S2_jwt_store_adopts_no_login_from_the_session_cookie(
    app: Flask, actions: Actions, redis_url: str, tmp_path: Path
) -> None:
    # The same SECRET_KEY signs Flask's session in the cookie store; switching
    # SESSION_STORE must not turn its cookies into logins the jwt store can
    # neither expire nor revoke.
    actions.register()
    cookie_site = create_app(store_env("cookie", redis_url, tmp_path))
    cookie_site.config["TESTING"] = True
    old_browser = cookie_site.test_client()
    Actions(old_browser).log_in()
    assert logged_in(old_browser)

    assert not logged_in(replay(app, {"session": jar(old_browser)["session"]}))


def test_S3_login_issues_a_new_id_and_the_old_one_authenticates_nobody(
    app: Flask, client: FlaskClient, actions: Actions, store_name: str
) -> None:
    actions.register()
    actions.log_out()
    client.get("/login")
    before = jar(client)
    assert before

    actions.log_in()
    after = jar(client)
    assert logged_in(client)
    for name in credentials(store_name):
        assert after[name] != before.get(name), name
    assert not logged_in(replay(app, before))
    if store_name in SERVER_SIDE:
        assert server_record(app, before["session"]) is None


def test_S3_a_second_login_replaces_the_first(
    app: Flask, client: FlaskClient, actions: Actions, store_name: str
) -> None:
    actions.register()
    first = jar(client)

    actions.log_in()
    second = jar(client)
    assert logged_in(client)

    if store_name == "cookie":
        assert logged_in(replay(app, first))
        assert_declared(app, "L1")
    else:
        for name in credentials(store_name):
            assert second[name] != first[name], name
        assert not logged_in(replay(app, first))


def test_S4_no_id_or_token_in_a_url_or_a_log_line(
    app: Flask,
    client: FlaskClient,
    actions: Actions,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    responses = [actions.register()]
    secrets_seen = set(jar(client).values())
    for path in ("/", "/profile", "/session", "/api/me", "/login?next=/profile"):
        responses.append(client.get(path))
    responses.append(client.post("/logout", data={}))
    responses.append(actions.log_out())
    responses.append(client.get("/profile"))
    responses.append(actions.log_in(password="wrong password"))
    responses.append(actions.log_in())
    secrets_seen |= set(jar(client).values())
    responses.append(client.get("/nowhere"))

    pieces = {
        piece
        for value in secrets_seen
        for piece in (value, *value.split("."))
        if len(piece) >= 16
    }
    assert pieces
    urls = []
    for response in responses:
        urls.append(response.headers.get("Location", ""))
        html = response.get_data(as_text=True)
        urls += re.findall(r'(?:href|action|src)="([^"]*)"', html)
    log_lines = [record.getMessage() for record in caplog.records]
    for piece in pieces:
        assert not [url for url in urls if piece in url]
        assert not [line for line in log_lines if piece in line]


def cookie_flow(client: FlaskClient, actions: Actions) -> list[SetCookie]:
    """Register, log out, log in with "remember me", log out; return every cookie."""
    cookies = set_cookies(client.get("/login"))
    cookies += set_cookies(actions.register())
    cookies += set_cookies(client.get("/profile"))
    cookies += set_cookies(actions.log_out())
    cookies += set_cookies(actions.log_in(remember="y"))
    cookies += set_cookies(actions.log_out())
    return cookies


def test_S5_cookie_attributes_over_http(client: FlaskClient, actions: Actions) -> None:
    cookies = cookie_flow(client, actions)

    assert {cookie.name for cookie in cookies} >= {"session"}
    for cookie in cookies:
        assert "httponly" in cookie.attributes, cookie
        assert cookie.attributes.get("samesite") in ("lax", "strict"), cookie
        assert "domain" not in cookie.attributes, cookie
        assert cookie.attributes.get("path") == "/", cookie
        assert "secure" not in cookie.attributes, cookie


def assert_host_only_and_secure(cookies: list[SetCookie]) -> None:
    """Assert every cookie is one a browser keeps only from this secure origin."""
    assert cookies
    for cookie in cookies:
        assert cookie.name.startswith("__Host-"), cookie
        assert "secure" in cookie.attributes, cookie
        assert "httponly" in cookie.attributes, cookie
        assert cookie.attributes.get("samesite") in ("lax", "strict"), cookie
        assert "domain" not in cookie.attributes, cookie
        assert cookie.attributes.get("path") == "/", cookie


def test_S5_cookie_attributes_over_https(secure_actions: Actions) -> None:
    cookies = cookie_flow(secure_actions.client, secure_actions)

    assert_host_only_and_secure(cookies)
    secure_actions.log_in()
    assert logged_in(secure_actions.client)


def test_S5_cookie_attributes_behind_a_tls_load_balancer(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(TRUSTED_PROXIES="1")
    browser = app.test_client()
    browser.environ_base.update(
        {
            "HTTP_X_FORWARDED_PROTO": "https",
            "HTTP_X_FORWARDED_FOR": "203.0.113.7",
            "HTTP_REFERER": HTTPS_ORIGIN + "/",
        }
    )
    actions = Actions(browser)

    cookies = cookie_flow(browser, actions)

    assert_host_only_and_secure(cookies)
    actions.log_in()
    assert logged_in(browser)


def test_S5_no_page_reveals_an_httponly_cookie(
    client: FlaskClient, actions: Actions
) -> None:
    # HttpOnly keeps a login out of reach of scripts; a page that prints the
    # cookie hands it to any script that can fetch that page.
    actions.register()
    credentials = [value for value in jar(client).values() if len(value) >= 16]
    assert credentials

    for path in ("/", "/profile", "/session", "/api/me"):
        body = client.get(path).get_data(as_text=True)
        for value in credentials:
            assert value not in body, path


def test_S6_no_cookie_exceeds_4093_bytes_whatever_the_user_does(
    client: FlaskClient, actions: Actions
) -> None:
    name, password = "n" * 32, "p" * 256
    cookies = set_cookies(actions.register(username=name, password=password))
    for _ in range(30):
        cookies += set_cookies(
            client.post("/login", data={"username": name, "csrf_token": "stale"})
        )
    cookies += set_cookies(actions.log_in(username=name, password=password))
    cookies += set_cookies(
        actions.log_in(username=name, password=password, remember="y")
    )
    for path in ("/", "/profile", "/session", "/login?next=/" + "a" * 2000):
        cookies += set_cookies(client.get(path))
    cookies += set_cookies(actions.log_out())

    assert cookies
    for cookie in cookies:
        header = f"{cookie.name}={cookie.value}"
        assert len(header.encode()) <= MAX_COOKIE_BYTES, cookie.name


def test_S6_an_oversized_cookie_is_refused_not_sent(
    make_app: Callable[..., Flask], store_name: str
) -> None:
    app = make_app()

    @app.get("/remember-a-lot")
    def remember_a_lot() -> str:
        session["note"] = os.urandom(4096).hex()
        return "noted"

    if store_name in SERVER_SIDE:
        response = app.test_client().get("/remember-a-lot")
    else:
        with pytest.warns(UserWarning, match="too large"):
            response = app.test_client().get("/remember-a-lot")

    for cookie in set_cookies(response):
        assert len(f"{cookie.name}={cookie.value}".encode()) <= MAX_COOKIE_BYTES
    if store_name in SERVER_SIDE:
        assert response.status_code == 200
        assert set_cookies(response)
    else:
        assert response.status_code == 500
        assert set_cookies(response) == []
        assert "larger than browsers keep" in response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-store"


def test_S7_pages_that_carry_a_session_are_not_cached(
    app: Flask, client: FlaskClient, actions: Actions
) -> None:
    responses = [actions.register()]
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments:  # type: ignore[operator]
            responses.append(client.get(rule.rule))
    responses += [
        client.get("/nowhere"),
        client.get("/logout"),
        client.post("/logout", data={}),
        actions.log_in(password="wrong password"),
        actions.log_out(),
        actions.log_in(),
    ]

    for response in responses:
        assert response.headers.get("Cache-Control") == "no-store", (
            response.request.path
        )


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_S8_logout_deletes_every_cookie_with_the_attributes_it_was_set_with(
    app: Flask, https: bool
) -> None:
    client = https_client(app) if https else app.test_client()
    actions = Actions(client)
    actions.register()
    actions.log_out()
    client.get("/login")

    login = {
        cookie.name: cookie for cookie in set_cookies(actions.log_in(remember="y"))
    }
    assert login
    logout = {cookie.name: cookie for cookie in set_cookies(actions.log_out())}

    for name, cookie in login.items():
        assert name in logout, f"logout leaves {name}"
        assert logout[name].deletes, logout[name]
        assert logout[name].shape() == cookie.shape(), name
    assert not logged_in(client)
