"""CHECKS.md R1 and R3: outages of the session server, and instances that agree.

R2 (garbage cookies and tokens) is fuzzed in test_fuzz.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.checks.conftest import (
    RedisOutage,
    assert_declared,
    jar,
    logged_in,
    replay,
    set_cookies,
)
from tests.conftest import SECRET_KEY, STORES, Actions
from webapp import create_app
from webapp.demo.client import hidden_fields
from webapp.settings import SettingsError

#: The configurations that keep something in Redis a request needs.
redis_backed = pytest.mark.parametrize(
    "store_name", ["redis", "jwt-redis"], indirect=True
)
OLD_KEY = "the-secret-key-of-last-month-0123456789-abcdefghij"


def assert_readable_503(client: FlaskClient, path: str) -> None:
    """Assert ``path`` answers a 503 a person or a script can read."""
    response = client.get(path)
    assert response.status_code == 503, path
    assert response.headers["Cache-Control"] == "no-store"
    assert set_cookies(response) == [], path
    if path.startswith("/api/"):
        assert response.is_json and response.json is not None
        assert "cannot be reached" in response.json["error"]
    else:
        html = response.get_data(as_text=True)
        assert "cannot be reached" in html
        assert "Traceback" not in html


def first_answer_after(outage: RedisOutage, client: FlaskClient, path: str) -> int:
    """End the outage and return the status of the first request after it."""
    outage.end()
    return client.get(path).status_code


@redis_backed
def test_R1_an_outage_answers_503_and_service_resumes_by_itself(
    make_app: Callable[..., Flask], redis_outage: RedisOutage, store_name: str
) -> None:
    app = make_app(REDIS_URL=redis_outage.url)
    browser = app.test_client()
    Actions(browser).register()
    fields = hidden_fields(browser.get("/").get_data(as_text=True), "/logout")

    redis_outage.begin()

    for path in ("/profile", "/api/me", "/", "/session"):
        assert_readable_503(browser, path)
    logout = browser.post("/logout", data=fields)
    assert logout.status_code == 503
    assert set_cookies(logout) == []

    assert first_answer_after(redis_outage, browser, "/") == 200
    visitor = app.test_client()
    assert not logged_in(visitor)
    Actions(visitor).register(username="bob")
    assert logged_in(visitor)
    # The restarted Redis is empty: the session is gone, the tokens were never
    # revoked. Neither store may have kept a half-done state from the outage.
    assert logged_in(browser) is (store_name == "jwt-redis")


@redis_backed
def test_R1_a_logout_during_an_outage_is_not_lost(
    make_app: Callable[..., Flask], redis_outage: RedisOutage, store_name: str
) -> None:
    app = make_app(REDIS_URL=redis_outage.url)
    browser = app.test_client()
    actions = Actions(browser)
    actions.register()
    copy = jar(browser)
    html = browser.get("/").get_data(as_text=True)

    redis_outage.begin()
    refused = browser.post("/logout", data=hidden_fields(html, "/logout"))
    redis_outage.end()

    assert refused.status_code == 503
    if logged_in(browser):
        assert actions.log_out().status_code == 302
    assert not logged_in(browser)
    assert not logged_in(replay(app, copy))


def test_R3_two_instances_from_one_configuration_accept_each_others_cookies(
    make_app: Callable[..., Flask], store_name: str
) -> None:
    first, second = make_app(), make_app()
    browser = first.test_client()
    Actions(browser).register()
    form = hidden_fields(browser.get("/").get_data(as_text=True), "/logout")
    on_second = replay(second, jar(browser))

    if store_name == "memory":
        assert not logged_in(on_second)
        assert_declared(second, "R3")
        return
    assert logged_in(on_second)
    assert on_second.post("/logout", data=form).status_code == 302
    assert not logged_in(on_second)


def test_R3_a_rotated_secret_key_keeps_logins_until_it_is_removed(
    make_app: Callable[..., Flask], store_name: str
) -> None:
    if store_name == "memory":
        # One process, one key: rotation means a restart, which the memory
        # store does not survive anyway (its prediction says so).
        assert not make_app().extensions["store"].prediction().restart
        return
    before = make_app(SECRET_KEY=OLD_KEY)
    browser = before.test_client()
    Actions(browser).register()
    issued = jar(browser)

    rotating = make_app(SECRET_KEY=SECRET_KEY, SECRET_KEY_FALLBACKS=OLD_KEY)
    rotated = make_app(SECRET_KEY=SECRET_KEY)

    assert logged_in(replay(rotating, issued))
    # Session ids in Redis are not signed, so only signed logins expire with
    # the key.
    assert logged_in(replay(rotated, issued)) is (store_name == "redis")


def test_R3_a_missing_secret_refuses_to_start_outside_development(
    store_name: str, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    env = {**STORES[store_name], "REDIS_URL": redis_url}
    for app_env in ({"APP_ENV": "production"}, {}):
        with pytest.raises(SettingsError, match="SECRET_KEY is not set"):
            create_app({**env, **app_env})

    caplog.set_level(logging.WARNING)
    developing = create_app({**env, "APP_ENV": "development"})
    assert developing.extensions["settings"].secret_key_generated
    assert "SECRET_KEY is not set" in caplog.text
    other = create_app({**env, "APP_ENV": "development"})
    assert other.config["SECRET_KEY"] != developing.config["SECRET_KEY"]


@redis_backed
def test_R1_a_registration_during_an_outage_leaves_no_account(
    make_app: Callable[..., Flask], redis_outage: RedisOutage
) -> None:
    app = make_app(REDIS_URL=redis_outage.url)
    browser = app.test_client()
    form = hidden_fields(browser.get("/register").get_data(as_text=True))
    redis_outage.begin()

    refused = browser.post(
        "/register", data={**form, "username": "olga", "password": "correct horse"}
    )

    assert refused.status_code == 503
    redis_outage.end()
    assert Actions(app.test_client()).register(username="olga").status_code == 302


def test_two_registrations_racing_for_one_name_make_one_account(
    app: Flask,
) -> None:
    from webapp.accounts.models import add_user
    from webapp.extensions import db

    with app.app_context():
        first = add_user("racer", "correct horse")
        db.session.commit()
        second = add_user("racer", "correct horse")

    assert first is not None
    assert second is None
