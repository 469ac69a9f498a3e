"""CHECKS.md L1-L5: lifetimes, logout and revocation, in every store."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from flask_login import current_user
from werkzeug.test import TestResponse

from tests.checks.conftest import (
    assert_declared,
    assert_not_declared,
    jar,
    logged_in,
    replay,
    server_record,
    set_cookies,
)
from tests.conftest import Actions
from webapp import create_app
from webapp.demo.client import hidden_fields
from webapp.settings import SettingsError

#: Short lifetimes, so that a frozen clock crosses them in a few steps.
IDLE, MAX_AGE, ACCESS = 60, 200, 30
LIFETIMES = {
    "SESSION_IDLE_TIMEOUT": str(IDLE),
    "SESSION_MAX_AGE": str(MAX_AGE),
    "JWT_ACCESS_LIFETIME": str(ACCESS),
}


def test_L1_a_copied_cookie_is_refused_after_logout(
    app: Flask, client: FlaskClient, actions: Actions, store_name: str
) -> None:
    actions.register()
    copy = jar(client)

    actions.log_out()

    if store_name == "cookie":
        assert logged_in(replay(app, copy))
        assert_declared(app, "L1")
    else:
        assert not logged_in(replay(app, copy))


def test_L1_logout_holds_on_every_instance(
    make_app: Callable[..., Flask], store_name: str
) -> None:
    first, second = make_app(), make_app()
    browser = first.test_client()
    Actions(browser).register()
    copy = jar(browser)

    Actions(browser).log_out()

    if store_name in ("cookie", "jwt"):
        assert logged_in(replay(second, copy))
        assert_declared(second, "L1")
    else:
        assert not logged_in(replay(second, copy))
    if store_name in ("memory", "redis"):
        assert_not_declared(second, "L1")


def test_L2_an_idle_login_ends_on_the_server(
    make_app: Callable[..., Flask], clock: time_machine.Coordinates
) -> None:
    app = make_app(**LIFETIMES)
    browser = app.test_client()
    Actions(browser).register()
    at_login = jar(browser)

    for _ in range(3):
        clock.shift(IDLE * 0.8)
        assert logged_in(browser)
    clock.shift(IDLE + 1)

    # Replayed by hand: the server must refuse whatever the browser keeps.
    assert not logged_in(replay(app, jar(browser)))
    assert not logged_in(replay(app, at_login))


def test_L2_the_idle_timeout_holds_to_the_second_whatever_the_leeway(
    make_app: Callable[..., Flask], clock: time_machine.Coordinates
) -> None:
    app = make_app(**{**LIFETIMES, "JWT_LEEWAY": str(IDLE // 2)})
    browser = app.test_client()
    Actions(browser).register()

    clock.shift(IDLE - 1)
    assert logged_in(browser)
    clock.shift(IDLE + 1)

    assert not logged_in(browser)


def test_L2_an_active_login_ends_at_its_absolute_lifetime(
    make_app: Callable[..., Flask], clock: time_machine.Coordinates
) -> None:
    app = make_app(**LIFETIMES)
    browser = app.test_client()
    Actions(browser).register()
    login_at = time.time()

    while time.time() + IDLE * 0.8 <= login_at + MAX_AGE:
        clock.shift(IDLE * 0.8)
        assert logged_in(browser)
    clock.move_to(login_at + MAX_AGE + 1)

    assert not logged_in(replay(app, jar(browser)))


def test_L2_the_idle_timeout_cannot_exceed_the_maximum_age() -> None:
    with pytest.raises(SettingsError, match="SESSION_IDLE_TIMEOUT"):
        create_app({"APP_ENV": "development", **LIFETIMES, "SESSION_MAX_AGE": "10"})


def test_L3_remember_me_does_not_bring_a_user_back_after_logout(
    app: Flask, client: FlaskClient, actions: Actions, store_name: str
) -> None:
    actions.register()
    actions.log_out()

    login = set_cookies(actions.log_in(remember="y"))
    remembered = {
        cookie.name: cookie.value
        for cookie in login
        if "expires" in cookie.attributes or "max-age" in cookie.attributes
    }
    assert remembered
    assert logged_in(replay(app, remembered))
    assert "remember_token" not in {cookie.name for cookie in login}

    actions.log_out()

    after_restart = {
        cookie.key: cookie.value
        for cookie in client._cookies.values()  # type: ignore[union-attr]
        if cookie.expires is not None
    }
    assert not logged_in(replay(app, after_restart))
    if store_name == "cookie":
        assert logged_in(replay(app, remembered))
        assert_declared(app, "L1")
    else:
        assert not logged_in(replay(app, remembered))


def test_L4_a_user_ends_their_other_logins(
    make_app: Callable[..., Flask], store_name: str
) -> None:
    app = make_app()
    phone = app.test_client()
    Actions(phone).register()
    laptop = app.test_client()
    Actions(laptop).log_in()
    copy = jar(laptop)

    page = phone.get("/account/sessions")
    assert page.status_code == 200
    if store_name == "cookie":
        assert_declared(app, "L4")
        assert "cannot list or end logins" in page.get_data(as_text=True)
        return
    fields = hidden_fields(page.get_data(as_text=True), "/account/sessions/end")
    ended = phone.post("/account/sessions/end", data={**fields, "others": "1"})

    assert ended.status_code == 302
    assert logged_in(phone)
    assert not logged_in(laptop)
    assert not logged_in(replay(app, copy))
    other_instance = make_app()
    if store_name == "jwt":
        assert logged_in(replay(other_instance, copy))
        assert_declared(other_instance, "L4")
    else:
        assert not logged_in(replay(other_instance, copy))


def test_L5_a_request_running_at_logout_cannot_write_the_login_back(
    make_app: Callable[..., Flask], store_name: str, clock: time_machine.Coordinates
) -> None:
    app = make_app(**LIFETIMES)
    loaded, release = threading.Event(), threading.Event()

    @app.get("/slow")
    def slow() -> str:
        name = current_user.username if current_user.is_authenticated else ""
        loaded.set()
        assert release.wait(10)
        return name

    browser = app.test_client()
    Actions(browser).register()
    copy = jar(browser)
    # Far enough on that the running request refreshes its seen_at stamp or
    # renews its tokens: it has something to write back.
    clock.shift(ACCESS * 0.8)
    late: list[TestResponse] = []
    running = threading.Thread(
        target=lambda: late.append(replay(app, copy).get("/slow"))
    )
    running.start()
    try:
        assert loaded.wait(10)
        Actions(browser).log_out()
    finally:
        release.set()
        running.join(10)

    response = late[0]
    assert response.get_data(as_text=True) == "alice"
    written = set_cookies(response)
    assert written, "the running request wrote nothing, so it proves nothing"
    revived = {**copy, **{c.name: c.value for c in written if not c.deletes}}
    if store_name == "cookie":
        assert logged_in(replay(app, revived))
        assert_declared(app, "L5")
    else:
        assert not logged_in(replay(app, revived))
        assert_not_declared(app, "L5")
    if store_name in ("memory", "redis"):
        assert server_record(app, copy["session"]) is None
