"""CHECKS.md F1-F5: forms, redirects, proxies and brute force, in every store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

import time_machine
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from redis import Redis
from werkzeug.test import TestResponse

from tests.checks.conftest import (
    assert_declared,
    logged_in,
    set_cookies,
)
from tests.conftest import Actions
from webapp.accounts.models import User
from webapp.auth.redirects import safe_next
from webapp.demo.client import hidden_fields
from webapp.extensions import db

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
#: Where ``next`` tries to lead off the site, as browsers would read it.
NEXT_TRICKS = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "https://evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "http://localhost@evil.example",
    "/%2F%2Fevil.example",
    "\uff0f\uff0fevil.example",
    "/\x00/evil.example",
]


def whoami(client: FlaskClient) -> str | None:
    """Return the name /api/me reports, or None when nobody is logged in."""
    response = client.get("/api/me")
    assert response.status_code in (200, 401)
    return response.json["username"] if response.status_code == 200 else None  # type: ignore[index]


def user_count(app: Flask) -> int:
    """Count the accounts in the database."""
    with app.app_context():
        return int(db.session.query(User).count())


def test_F1_every_state_changing_request_needs_a_csrf_token(
    app: Flask, client: FlaskClient, actions: Actions
) -> None:
    actions.register()
    home = client.get("/").get_data(as_text=True)
    store_fields = {
        name: value
        for name, value in hidden_fields(home, "/logout").items()
        if name != "csrf_token"
    }
    attempt: dict[str, Any] = {
        "username": "mallory",
        "password": "correct horse",
        "others": "1",
        **store_fields,
    }
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if STATE_CHANGING & set(rule.methods or ()) and not rule.arguments
    ]
    assert {"/login", "/register", "/logout"} <= {rule.rule for rule in rules}

    for rule in rules:
        for method in STATE_CHANGING & set(rule.methods or ()):
            response = client.open(rule.rule, method=method, data=attempt)
            assert response.status_code in (302, 400), (method, rule.rule)
            if response.status_code == 302:
                assert urlsplit(response.headers["Location"]).path in (
                    rule.rule,
                    "/",
                ), rule.rule
            assert whoami(client) == "alice", (method, rule.rule)
    assert user_count(app) == 1


def test_F1_no_state_changes_on_get(
    app: Flask, client: FlaskClient, actions: Actions
) -> None:
    actions.register()

    for rule in app.url_map.iter_rules():
        methods = set(rule.methods or ())
        if rule.arguments:
            continue
        response = client.get(rule.rule, query_string={"others": "1"})
        if "GET" not in methods:
            assert response.status_code == 405, rule.rule
        assert whoami(client) == "alice", rule.rule
    assert user_count(app) == 1


def leads_off_site(location: str) -> bool:
    """Say whether a browser following ``location`` from /login leaves the site."""
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in location[:1]):
        return True
    if "\\" in location or any(char in location for char in "\t\n\r"):
        return True
    target = urlsplit(urljoin("http://localhost/login", location))
    return target.scheme != "http" or target.netloc != "localhost"


def test_F2_next_only_ever_leads_to_a_path_on_this_site(
    client: FlaskClient, actions: Actions
) -> None:
    actions.register()

    # Every trick goes through safe_next below; a few prove the view uses it.
    for trick in ("//evil.example", "/\\evil.example", "https:evil.example", "/p"):
        html = client.get("/login", query_string={"next": trick}).get_data(as_text=True)
        response = client.post(
            "/login",
            query_string={"next": trick},
            data={
                **hidden_fields(html),
                "username": "alice",
                "password": "correct horse",
            },
        )
        assert response.status_code == 302, repr(trick)
        location = response.headers["Location"]
        assert not leads_off_site(location), (trick, location)
        assert location == ("/p" if trick == "/p" else "/"), (trick, location)
    assert whoami(client) == "alice"


def test_F2_no_encoding_trick_gets_past_safe_next() -> None:
    for trick in NEXT_TRICKS:
        target = safe_next(trick)
        assert target is None or not leads_off_site(target), repr(trick)
    assert safe_next("/profile?tab=1#top") == "/profile?tab=1#top"


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("/\\:@.%?#; \t\n\x00evil2F5C\uff0f\u3002")),
        max_size=20,
    )
)
def test_F2_safe_next_never_leaves_the_site(target: str) -> None:
    kept = safe_next(target)
    assert kept is None or not leads_off_site(kept), repr(target)


def failed_login(client: FlaskClient, username: str, address: str) -> int:
    """Try a wrong password from ``address``; return the status code."""
    return wrong_password(client, username, address).status_code


def wrong_password(client: FlaskClient, username: str, address: str) -> TestResponse:
    """Try a wrong password from ``address`` (as the proxy reports it)."""
    html = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={**hidden_fields(html), "username": username, "password": "wrong"},
        headers={"X-Forwarded-For": address},
    )
    return response


def test_F3_the_app_trusts_exactly_the_configured_proxy_hops(
    make_app: Callable[..., Flask],
) -> None:
    direct = make_app(LOGIN_RATE_LIMIT="2 per minute").test_client()
    assert failed_login(direct, "a1", "198.51.100.1") == 401
    assert failed_login(direct, "a2", "198.51.100.2") == 401
    # Without a trusted proxy every address a client claims is the same client.
    assert failed_login(direct, "a3", "198.51.100.3") == 429
    page = direct.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert all("secure" not in cookie.attributes for cookie in set_cookies(page))

    proxied = make_app(LOGIN_RATE_LIMIT="2 per minute", TRUSTED_PROXIES="1")
    browser = proxied.test_client()
    assert failed_login(browser, "b1", "198.51.100.1") == 401
    assert failed_login(browser, "b2", "198.51.100.1") == 401
    assert failed_login(browser, "b3", "198.51.100.1") == 429
    assert failed_login(browser, "b4", "198.51.100.2") == 401
    # A client that writes its own X-Forwarded-For is still known by the
    # address the one trusted proxy appended.
    assert failed_login(browser, "b5", "203.0.113.9, 198.51.100.1") == 429

    secure = proxied.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert all("secure" in cookie.attributes for cookie in set_cookies(secure))
    spoofed = proxied.test_client().get(
        "/login", headers={"X-Forwarded-Proto": "https, http"}
    )
    assert set_cookies(spoofed)
    assert all("secure" not in cookie.attributes for cookie in set_cookies(spoofed))


def test_F4_passwords_are_hashed_with_a_memory_hard_algorithm(
    app: Flask, actions: Actions
) -> None:
    actions.register(password="correct horse")

    with app.app_context():
        stored = db.session.query(User).one().password_hash
    algorithm, _, parameters, *_ = stored.lstrip("$").split("$")
    cost = dict(pair.split("=") for pair in parameters.split(","))
    assert algorithm == "argon2id"
    assert int(cost["m"]) >= 19 * 1024  # KiB: OWASP's minimum for Argon2id
    assert int(cost["t"]) >= 2
    assert "correct horse" not in stored


def test_F4_login_attempts_are_limited_per_account_and_per_client(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(LOGIN_RATE_LIMIT="3 per minute", TRUSTED_PROXIES="1")
    client = app.test_client()
    Actions(client).register()

    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        assert failed_login(client, "alice", address) == 401
    locked = failed_login(client, "alice", "198.51.100.4")
    assert locked == 429

    for account in ("bob", "carol", "dave"):
        assert failed_login(client, account, "198.51.100.9") == 401
    refused = wrong_password(client, "erin", "198.51.100.9")
    assert refused.status_code == 429
    assert "Too many login attempts" in refused.get_data(as_text=True)


def test_F4_the_counters_are_shared_by_instances(
    make_app: Callable[..., Flask], redis_url: str, store_name: str
) -> None:
    env = {"LOGIN_RATE_LIMIT": "3 per minute", "TRUSTED_PROXIES": "1"}
    first = make_app(**env, REDIS_URL=redis_url).test_client()
    second = make_app(**env, REDIS_URL=redis_url).test_client()

    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        assert failed_login(first, "alice", address) == 401
    assert failed_login(second, "alice", "198.51.100.4") == 429
    assert Redis.from_url(redis_url).keys("LIMITS*")

    if store_name in ("memory", "cookie", "jwt"):
        # Without REDIS_URL the counters live in each process.
        assert_declared(make_app(**env), "F4")


def stale_form(client: FlaskClient, page: str, clock: time_machine.Coordinates) -> Any:
    """Load ``page``, then let its CSRF token outlive its time limit."""
    fields = hidden_fields(client.get(page).get_data(as_text=True), None)
    clock.shift(client.application.config["WTF_CSRF_TIME_LIMIT"] + 1)
    return fields


def test_F5_an_expired_login_form_gets_a_fresh_form_and_a_message(
    make_app: Callable[..., Flask], clock: time_machine.Coordinates
) -> None:
    app = make_app(SESSION_IDLE_TIMEOUT="7200", SESSION_MAX_AGE="7200")
    client = app.test_client()
    actions = Actions(client)
    actions.register()
    actions.log_out()
    credentials = {"username": "alice", "password": "correct horse"}

    for page in ("/login?next=/profile", "/register?next=/profile"):
        fields = stale_form(client, page, clock)
        response = client.post(page, data={**fields, **credentials})
        assert response.status_code == 302, page
        assert response.headers["Location"] == page
        assert not logged_in(client)

        fresh = client.get(page)
        assert fresh.status_code == 200
        assert "form had expired" in fresh.get_data(as_text=True)
    assert user_count(app) == 1

    response = actions.log_in()
    assert response.status_code == 302
    assert logged_in(client)


def test_F5_an_expired_logout_form_gets_a_fresh_form_and_a_message(
    make_app: Callable[..., Flask], clock: time_machine.Coordinates
) -> None:
    app = make_app(SESSION_IDLE_TIMEOUT="7200", SESSION_MAX_AGE="7200")
    client = app.test_client()
    actions = Actions(client)
    actions.register()

    html = client.get("/profile").get_data(as_text=True)
    clock.shift(app.config["WTF_CSRF_TIME_LIMIT"] + 1)
    response = client.post("/logout", data=hidden_fields(html, "/logout"))

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"
    assert logged_in(client)
    home = client.get("/").get_data(as_text=True)
    assert "form had expired" in home
    assert actions.log_out().status_code == 302
    assert not logged_in(client)


def test_F1_a_cross_site_post_is_refused_and_sets_no_cookie(app: Flask) -> None:
    # A SameSite=Lax cookie is not sent with another site's POST, so the
    # request arrives with no session; answering it with a fresh session would
    # overwrite the victim's login cookie.
    other_site = app.test_client()

    for path in ("/logout", "/login", "/register"):
        response = other_site.post(
            path, data={"csrf_token": "forged", "username": "a", "password": "b"}
        )

        assert response.status_code == 400, path
        assert response.headers.getlist("Set-Cookie") == [], path
