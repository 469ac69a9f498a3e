"""CHECKS.md R2, fuzzed: broken cookies and tokens are never a 500, never a login."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.checks.conftest import credentials, jar
from tests.conftest import Actions

PROTECTED = ("/profile", "/api/me", "/", "/session")
#: Characters a browser may send in a Cookie header: Latin-1, no controls.
HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=300,
)
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def reencoded(value: str) -> list[str]:
    """Return ``value`` wrapped in encodings a confused client might apply.

    Not in double quotes: RFC 6265 lets a cookie value be quoted, so that is
    the same cookie, not a re-encoded one.
    """
    variants = [
        base64.b64encode(value.encode()).decode(),
        base64.urlsafe_b64encode(value.encode()).decode(),
        quote(value + "\n", safe=""),
        value.upper(),
        value.swapcase(),
        ".".join(reversed(value.split("."))),
        value.replace(".", "..").replace("-", "+").replace("_", "/"),
    ]
    return [variant for variant in variants if variant != value]


@st.composite
def broken(draw: st.DrawFn, value: str) -> str:
    """Draw a garbage, truncated, re-encoded, tampered or oversized ``value``."""
    kind = draw(
        st.sampled_from(["garbage", "truncated", "reencoded", "tampered", "oversized"])
    )
    if kind == "garbage":
        return draw(HEADER_TEXT)
    if kind == "truncated":
        return value[: draw(st.integers(0, len(value) - 1))]
    if kind == "reencoded":
        return draw(st.sampled_from(reencoded(value)))
    if kind == "oversized":
        size = draw(st.integers(4000, 9000))
        return (value * (size // len(value) + 1))[:size]
    # Not the last character: base64 leaves spare bits there, so some changes
    # to it spell the same signature and are no tampering at all.
    at = draw(st.integers(0, len(value) - 2))
    char = draw(st.sampled_from('AZaz09-_.=+/%"\\ é'))
    tampered = value[:at] + char + value[at + 1 :]
    return tampered if tampered != value else value[:at] + "~" + value[at + 1 :]


@pytest.fixture
def genuine(client: FlaskClient, actions: Actions, store_name: str) -> dict[str, str]:
    """Log alice in and return the cookies that carry her login."""
    actions.register()
    cookies = jar(client)
    return {name: cookies[name] for name in credentials(store_name)}


def assert_anonymous(app: Flask, cookie_header: str) -> None:
    """Assert a browser sending ``cookie_header`` is nobody, and no 500."""
    browser = app.test_client(use_cookies=False)
    headers = {"Cookie": cookie_header}
    for path in PROTECTED:
        response = browser.get(path, headers=headers)
        assert response.status_code < 500, (path, response.status_code)
    assert browser.get("/api/me", headers=headers).status_code == 401
    profile = browser.get("/profile", headers=headers)
    assert profile.status_code == 302
    assert profile.headers["Location"].startswith("/login")


def test_R2_broken_login_cookies_are_nobody(
    app: Flask, genuine: dict[str, str]
) -> None:
    @FUZZ
    @given(st.data())
    def check(data: st.DataObject) -> None:
        sent = {}
        for name, value in genuine.items():
            if data.draw(st.booleans(), label=f"send {name}") or not sent:
                sent[name] = data.draw(broken(value), label=name)
        assert_anonymous(app, "; ".join(f"{k}={v}" for k, v in sent.items()))

    check()


def test_R2_garbage_cookie_headers_are_nobody(
    app: Flask, genuine: dict[str, str]
) -> None:
    names = st.sampled_from([*genuine, "session", "__Host-session", "remember_token"])

    @FUZZ
    @given(st.lists(st.tuples(names, HEADER_TEXT), min_size=1, max_size=4))
    def check(pairs: list[tuple[str, str]]) -> None:
        assert_anonymous(app, "; ".join(f"{name}={value}" for name, value in pairs))

    check()


def test_R2_a_valid_login_beside_broken_duplicates_never_errs(
    app: Flask, genuine: dict[str, str]
) -> None:
    header = "; ".join(f"{name}={value}" for name, value in genuine.items())

    @FUZZ
    @given(st.data())
    def check(data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(list(genuine)))
        duplicate = f"{name}={data.draw(broken(genuine[name]))}"
        browser = app.test_client(use_cookies=False)
        for cookies in (f"{duplicate}; {header}", f"{header}; {duplicate}"):
            for path in PROTECTED:
                response = browser.get(path, headers={"Cookie": cookies})
                assert response.status_code < 500, (path, cookies)

    check()


def test_R2_a_garbage_remember_me_cookie_is_nobody(app: Flask) -> None:
    # The site never sets Flask-Login's remember cookie, yet Flask-Login still
    # reads one, and compares its digest with hmac.compare_digest, which
    # raises on a non-ASCII string.
    for value in ("|\x80", "1|" + "é" * 40, "1|deadbeef", "|"):
        assert_anonymous(app, f"remember_token={value}")
