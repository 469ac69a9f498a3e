"""CHECKS.md J1-J9: the jwt store's tokens, forged here with PyJWT."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import warnings
from collections.abc import Callable
from typing import Any

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient
from jwt.warnings import InsecureKeyLengthWarning

from stores.jwt import key_id
from tests.checks.conftest import (
    RedisOutage,
    SetCookie,
    https_client,
    jar,
    logged_in,
    replay,
    set_cookies,
)
from tests.conftest import SECRET_KEY, Actions
from webapp import create_app
from webapp.demo.client import hidden_fields
from webapp.settings import SettingsError

#: Run a test against both jwt configurations: revocations in memory, in Redis.
jwt_stores = pytest.mark.parametrize("store_name", ["jwt", "jwt-redis"], indirect=True)
#: Run a test against the configuration whose revocation list can be down.
redis_blocklist = pytest.mark.parametrize("store_name", ["jwt-redis"], indirect=True)

ACCESS = "access_token_cookie"
REFRESH = "refresh_token_cookie"
OTHER_KEY = "a-key-this-site-never-had-0123456789-abcdefghijkl"


def claims_of(token: str) -> dict[str, Any]:
    """Read a token's claims without checking it, as an attacker would."""
    return dict(jwt.decode(token, options={"verify_signature": False}))


def b64(data: bytes) -> str:
    """Encode ``data`` as the unpadded base64url of a JWT segment."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(
    claims: dict[str, Any],
    key: str = SECRET_KEY,
    algorithm: str = "HS256",
    **header: Any,
) -> str:
    """Sign ``claims`` with ``key`` and ``algorithm``, naming the site's key."""
    with warnings.catch_warnings():
        # HS512 wants a longer key than the site's; the forger does not care.
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(
            claims,
            key,
            algorithm=algorithm,
            headers={"kid": key_id(SECRET_KEY), **header},
        )


def hmac_signed_as(algorithm: str, claims: dict[str, Any]) -> str:
    """Sign with HMAC-SHA256 and the site's key, but claim ``algorithm``.

    This is the key-confusion attack: a verifier that trusts the header's
    ``alg`` would use the HMAC secret as an RSA public key.
    """
    header = {"alg": algorithm, "typ": "JWT", "kid": key_id(SECRET_KEY)}
    signing_input = (
        f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    )
    signature = hmac.new(SECRET_KEY.encode(), signing_input.encode(), hashlib.sha256)
    return f"{signing_input}.{b64(signature.digest())}"


def accepted(app: Flask, access: str | None = None, refresh: str | None = None) -> bool:
    """Say whether a browser holding only these tokens is logged in."""
    cookies = {ACCESS: access, REFRESH: refresh}
    return logged_in(replay(app, {k: v for k, v in cookies.items() if v is not None}))


@pytest.fixture
def tokens(actions: Actions) -> dict[str, str]:
    """Register alice and return the access and refresh tokens she was given."""
    actions.register()
    cookies = jar(actions.client)
    return {"access": cookies[ACCESS], "refresh": cookies[REFRESH]}


@jwt_stores
def test_J1_only_the_configured_algorithm_is_accepted(
    app: Flask, tokens: dict[str, str]
) -> None:
    claims = claims_of(tokens["access"])
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forgeries = {
        "none": jwt.encode(claims, None, algorithm="none"),
        "none, with the site's kid": jwt.encode(
            claims, None, algorithm="none", headers={"kid": key_id(SECRET_KEY)}
        ),
        "HS384": forge(claims, algorithm="HS384"),
        "HS512": forge(claims, algorithm="HS512"),
        "RS256 with the HMAC key as public key": hmac_signed_as("RS256", claims),
        "ES256 with the HMAC key as public key": hmac_signed_as("ES256", claims),
        "RS256 with an attacker's key": forge(claims, private_key, "RS256"),
    }

    assert accepted(app, forge(claims))
    for name, forged in forgeries.items():
        assert not accepted(app, forged), name
        assert not accepted(app, refresh=forged), name


@jwt_stores
def test_J1_a_token_signed_by_a_key_outside_the_keys_is_refused(
    app: Flask, tokens: dict[str, str]
) -> None:
    claims = claims_of(tokens["access"])

    assert not accepted(app, forge(claims, OTHER_KEY))
    assert not accepted(app, forge(claims, OTHER_KEY, kid=key_id(OTHER_KEY)))
    assert not accepted(app, forge(claims, OTHER_KEY, kid="../../etc/passwd"))
    assert accepted(app, forge(claims, kid="no such key"))


@jwt_stores
def test_J1_rotated_keys_keep_logins_until_removed(
    make_app: Callable[..., Flask],
) -> None:
    old_key = "the-key-of-last-month-0123456789-abcdefghijklmnop"
    before = make_app(JWT_SECRET_KEY=old_key)
    browser = before.test_client()
    Actions(browser).register()
    issued = jar(browser)

    rotating = make_app(JWT_SECRET_KEY=SECRET_KEY, JWT_SECRET_KEY_FALLBACKS=old_key)
    rotated = make_app(JWT_SECRET_KEY=SECRET_KEY)

    assert logged_in(replay(rotating, issued))
    assert not logged_in(replay(rotated, issued))


@jwt_stores
def test_J2_the_signature_is_checked_before_any_claim(
    app: Flask, actions: Actions, tokens: dict[str, str]
) -> None:
    Actions(app.test_client()).register(username="bob")
    header, _, signature = tokens["access"].split(".")
    claims = claims_of(tokens["access"])
    bob = {**claims, "sub": str(int(claims["sub"]) + 1)}
    broken = {"sub": {"id": 1}, "login_at": "soon", "exp": "later", "sid": ["x"]}

    as_bob = f"{header}.{b64(json.dumps(bob).encode())}.{signature}"
    assert not accepted(app, as_bob)
    assert not accepted(app, refresh=as_bob)
    for garbage in (forge(broken, OTHER_KEY), f"{header}.{b64(b'[1,2')}.{signature}"):
        for path in ("/api/me", "/profile", "/", "/session"):
            visitor = replay(app, {ACCESS: garbage, REFRESH: garbage})
            assert visitor.get(path).status_code < 500, path
        assert not accepted(app, garbage, garbage)


@redis_blocklist
def test_J2_a_bad_signature_is_refused_without_reading_the_blocklist(
    make_app: Callable[..., Flask], redis_outage: RedisOutage
) -> None:
    app = make_app(REDIS_URL=redis_outage.url)
    browser = app.test_client()
    Actions(browser).register()
    claims = claims_of(jar(browser)[ACCESS])

    redis_outage.begin()

    assert not accepted(app, forge(claims, OTHER_KEY))
    assert replay(app, {ACCESS: forge(claims)}).get("/api/me").status_code == 503


@jwt_stores
def test_J3_exp_and_nbf_are_enforced_with_the_configured_leeway(
    make_app: Callable[..., Flask], clock: time_machine.Coordinates
) -> None:
    app = make_app(JWT_LEEWAY="30")
    browser = app.test_client()
    Actions(browser).register()
    claims = claims_of(jar(browser)[ACCESS])
    now = int(time.time())

    assert accepted(app, forge({**claims, "exp": now - 20}))
    assert not accepted(app, forge({**claims, "exp": now - 40}))
    assert accepted(app, forge({**claims, "nbf": now + 20}))
    assert not accepted(app, forge({**claims, "nbf": now + 40}))


@jwt_stores
def test_J3_a_token_without_exp_is_refused(app: Flask, tokens: dict[str, str]) -> None:
    claims = claims_of(tokens["access"])
    without_exp = {key: value for key, value in claims.items() if key != "exp"}

    for access, refresh in ((forge(without_exp), None), (None, forge(without_exp))):
        visitor = replay(
            app, {k: v for k, v in {ACCESS: access, REFRESH: refresh}.items() if v}
        )
        assert visitor.get("/api/me").status_code == 401


@jwt_stores
def test_J3_issuer_and_audience_are_checked(app: Flask, tokens: dict[str, str]) -> None:
    claims = claims_of(tokens["access"])
    assert claims["iss"] == claims["aud"] == "where-login-state-lives"

    assert accepted(app, forge(claims))
    for changed in (
        {"aud": "another-site"},
        {"aud": ["another-site"]},
        {"iss": "another-site"},
    ):
        assert not accepted(app, forge({**claims, **changed})), changed
    for missing in ("aud", "iss"):
        without = {k: v for k, v in claims.items() if k != missing}
        assert not accepted(app, forge(without)), missing


@jwt_stores
def test_J4_access_and_refresh_tokens_are_not_interchangeable(
    app: Flask, tokens: dict[str, str]
) -> None:
    assert accepted(app, access=tokens["access"])
    assert accepted(app, refresh=tokens["refresh"])

    assert not accepted(app, access=tokens["refresh"])
    assert not accepted(app, refresh=tokens["access"])
    assert not accepted(app, access=tokens["refresh"], refresh=tokens["access"])


def test_J5_keys_shorter_than_256_bits_are_refused() -> None:
    env = {
        "APP_ENV": "production",
        "SESSION_STORE": "jwt",
        "SECRET_KEY": SECRET_KEY,
    }
    short = "correct horse battery"
    assert len(short.encode()) < 32

    for variable in (
        "JWT_SECRET_KEY",
        "JWT_SECRET_KEY_FALLBACKS",
        "SECRET_KEY_FALLBACKS",
    ):
        with pytest.raises(SettingsError, match=variable):
            create_app({**env, variable: short})
    with pytest.raises(SettingsError, match="not a password"):
        create_app({**env, "JWT_SECRET_KEY": short})


@jwt_stores
def test_J6_revocation_is_keyed_on_the_login_and_covers_its_every_token(
    app: Flask, client: FlaskClient, actions: Actions, clock: time_machine.Coordinates
) -> None:
    actions.register()
    laptop = app.test_client()
    Actions(laptop).log_in()
    first = jar(client)
    clock.shift(app.extensions["settings"].jwt_access_lifetime * 0.8)
    assert logged_in(client)
    renewed = jar(client)
    assert renewed[ACCESS] != first[ACCESS]

    actions.log_out()

    for cookies in (first, renewed):
        assert not accepted(app, cookies[ACCESS])
        assert not accepted(app, refresh=cookies[REFRESH])
    assert logged_in(laptop)


@redis_blocklist
def test_J6_an_unreadable_revocation_list_refuses_tokens(
    make_app: Callable[..., Flask], redis_outage: RedisOutage
) -> None:
    app = make_app(REDIS_URL=redis_outage.url)
    browser = app.test_client()
    Actions(browser).register()

    redis_outage.begin()

    for path in ("/api/me", "/profile", "/"):
        response = browser.get(path)
        assert response.status_code == 503, path
        assert "alice" not in response.get_data(as_text=True)


def logout_fields(client: FlaskClient) -> dict[str, str]:
    """Return the hidden fields of the logout form on the home page."""
    return hidden_fields(client.get("/").get_data(as_text=True), "/logout")


@jwt_stores
def test_J7_forms_pass_the_double_submit_check_and_cross_site_posts_fail(
    app: Flask, client: FlaskClient, actions: Actions
) -> None:
    actions.register()
    fields = logout_fields(client)
    assert set(fields) == {"csrf_token", "jwt_csrf"}
    copy = jar(client)

    for data in ({}, {"jwt_csrf": fields["jwt_csrf"]}):
        response = client.post("/logout", data=data)
        assert response.status_code == 400, data
        assert logged_in(client), data

    assert actions.log_out().status_code == 302
    assert not logged_in(client)
    assert not accepted(app, copy[ACCESS], copy[REFRESH])


@jwt_stores
def test_J7_a_post_without_the_double_submit_value_is_refused(
    app: Flask, client: FlaskClient, actions: Actions
) -> None:
    actions.register()
    fields = logout_fields(client)
    copy = jar(client)

    for data in (
        {"csrf_token": fields["csrf_token"]},
        {**fields, "jwt_csrf": "forged"},
    ):
        response = client.post("/logout", data=data)
        assert response.status_code in (400, 401, 403), data
        assert logged_in(client), data
        assert accepted(app, copy[ACCESS], copy[REFRESH]), data


@jwt_stores
def test_J7_a_cross_site_post_over_https_is_refused(app: Flask) -> None:
    browser = https_client(app)
    Actions(browser).register()
    fields = logout_fields(browser)

    response = browser.post(
        "/logout", data=fields, headers={"Referer": "https://evil.example/"}
    )

    assert response.status_code == 400
    assert logged_in(browser)


def assert_clears_tokens(cookies: list[SetCookie]) -> None:
    """Assert the response deletes both token cookies."""
    deleted = {cookie.name for cookie in cookies if cookie.deletes}
    assert {ACCESS, REFRESH} <= deleted


@jwt_stores
def test_J8_an_invalid_token_sends_pages_to_login_and_apis_a_401(
    app: Flask, tokens: dict[str, str], clock: time_machine.Coordinates
) -> None:
    claims = claims_of(tokens["access"])
    idle = app.extensions["settings"].session_idle_timeout
    invalid = {
        "garbage": ("garbage", "garbage"),
        "other key": (forge(claims, OTHER_KEY), forge(claims, OTHER_KEY)),
        "expired": (tokens["access"], tokens["refresh"]),
    }

    clock.shift(idle + 60)
    for name, (access, refresh) in invalid.items():
        page = replay(app, {ACCESS: access, REFRESH: refresh}).get("/profile")
        assert page.status_code == 302, name
        assert page.headers["Location"] == "/login?next=/profile", name
        assert_clears_tokens(set_cookies(page))

        api = replay(app, {ACCESS: access, REFRESH: refresh}).get("/api/me")
        assert api.status_code == 401, name
        assert api.is_json and api.json is not None and "error" in api.json, name
        assert_clears_tokens(set_cookies(api))


@jwt_stores
def test_J9_the_logout_response_never_carries_a_fresh_token(
    app: Flask, client: FlaskClient, actions: Actions, clock: time_machine.Coordinates
) -> None:
    actions.register()
    fields = logout_fields(client)
    lifetime = app.extensions["settings"].jwt_access_lifetime
    clock.shift(lifetime * 0.8)

    renewing = replay(app, jar(client)).get("/api/me")
    assert {cookie.name for cookie in set_cookies(renewing)} == {ACCESS, REFRESH}

    response = client.post("/logout", data=fields)

    assert response.status_code == 302
    tokens = [
        cookie for cookie in set_cookies(response) if cookie.name in (ACCESS, REFRESH)
    ]
    assert {cookie.name for cookie in tokens} == {ACCESS, REFRESH}
    assert all(cookie.deletes for cookie in tokens), tokens
    assert not logged_in(client)
