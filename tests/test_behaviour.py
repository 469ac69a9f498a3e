"""The behaviour every store must show, run against each one."""

from __future__ import annotations

import base64

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from tests.conftest import Actions


def test_register_log_in_profile_log_out(
    client: FlaskClient, actions: Actions, store_name: str
) -> None:
    assert client.get("/profile").status_code == 302

    response = actions.register()
    assert response.status_code == 302
    assert actions.log_out().status_code == 302

    response = actions.log_in()
    assert response.status_code == 302
    assert response.headers["Location"] == "/"

    profile = client.get("/profile")
    assert profile.status_code == 200
    assert "alice" in profile.get_data(as_text=True)

    me = client.get("/api/me")
    assert me.status_code == 200
    assert me.json is not None
    assert me.json["username"] == "alice"
    assert me.json["store"] == store_name.split("-")[0]
    assert me.json["instance"]

    response = actions.log_out()
    assert response.status_code == 302

    profile = client.get("/profile")
    assert profile.status_code == 302
    assert profile.headers["Location"] == "/login?next=/profile"
    assert client.get("/api/me").status_code == 401


def test_wrong_password_is_refused(client: FlaskClient, actions: Actions) -> None:
    actions.register()
    actions.log_out()

    response = actions.log_in(password="wrong password")

    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(as_text=True)
    assert client.get("/api/me").status_code == 401


def test_login_honours_next_inside_the_site(
    client: FlaskClient, actions: Actions
) -> None:
    actions.register()
    actions.log_out()

    html = client.get("/login?next=/profile").get_data(as_text=True)
    from webapp.demo.client import hidden_fields

    response = client.post(
        "/login?next=/profile",
        data={**hidden_fields(html), "username": "alice", "password": "correct horse"},
    )

    assert response.headers["Location"] == "/profile"


def test_api_me_needs_a_login(client: FlaskClient) -> None:
    response = client.get("/api/me")

    assert response.status_code == 401
    assert response.json is not None
    assert "error" in response.json


def test_logout_is_post_only(client: FlaskClient, actions: Actions) -> None:
    actions.register()

    assert client.get("/logout").status_code == 405
    assert client.get("/api/me").status_code == 200


def test_logout_needs_the_csrf_token(client: FlaskClient, actions: Actions) -> None:
    actions.register()

    response = client.post("/logout", data={})

    assert response.status_code == 400
    assert client.get("/api/me").status_code == 200


def broken_variants(value: str) -> list[str]:
    """Return garbage, truncated, tampered and oversized versions of a cookie."""
    flipped = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    variants = [
        "",
        "garbage",
        value[: len(value) // 2],
        flipped,
        value + "x",
        base64.urlsafe_b64encode(value.encode()).decode(),
        "%00%ff" * 10,
        "é" * 50,
        "x" * 4000,
        value.replace(".", "", 1),
        "." * 3,
    ]
    return [variant for variant in variants if variant != value]


def test_broken_cookies_mean_anonymous(
    app: Flask, client: FlaskClient, actions: Actions
) -> None:
    actions.register()
    cookies = {cookie.key: cookie.value for cookie in client._cookies.values()}
    assert cookies

    for name, value in cookies.items():
        for broken in broken_variants(value):
            visitor = app.test_client()
            visitor.set_cookie(name, broken)

            for path in ("/api/me", "/profile", "/", "/session"):
                response = visitor.get(path)
                assert response.status_code < 500, (name, broken, path)
            assert visitor.get("/api/me").status_code == 401, (name, broken)


def test_healthz_sets_no_cookie_and_writes_nothing(
    client: FlaskClient, actions: Actions, redis_url: str
) -> None:
    actions.register()
    redis = Redis.from_url(redis_url)
    keys_before = sorted(redis.keys("*"))

    anonymous = client.application.test_client()
    for visitor in (client, anonymous):
        response = visitor.get("/healthz")
        assert response.status_code == 200
        assert response.headers.getlist("Set-Cookie") == []

    assert sorted(redis.keys("*")) == keys_before


def test_session_inspector_shows_store_and_cookies(
    client: FlaskClient, actions: Actions, store_name: str
) -> None:
    actions.register()

    page = client.get("/session").get_data(as_text=True)

    assert store_name.split("-")[0] in page
    assert "bytes" in page
    assert "still logged in" in page or "logged out" in page


def test_pages_render(client: FlaskClient) -> None:
    for path in ("/", "/login", "/register", "/session", "/logged-out"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store"


def test_usernames_ignore_case(client: FlaskClient, actions: Actions) -> None:
    assert actions.register(username="Alice").status_code == 302
    actions.log_out()

    assert actions.register(username="ALICE").status_code == 409
    assert actions.log_in(username="aLiCe").status_code == 302
    me = client.get("/api/me")
    assert me.json is not None
    assert me.json["username"] == "alice"
