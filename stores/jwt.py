"""The jwt store: flask-jwt-extended tokens in HttpOnly cookies.

The login travels in two signed tokens: a short-lived access token and a
refresh token that lasts as long as the idle timeout. Both are re-issued
before the access token expires, so an active user never sees a login page.
Every token of one login carries that login's id (``sid``); logout puts the
id on a revocation list, which is the only state the server keeps. Where that
list lives decides whether logout still holds after the instance is replaced.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app, g, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    decode_token,
    get_jwt,
    set_access_cookies,
    set_refresh_cookies,
    unset_jwt_cookies,
    verify_jwt_in_request,
)
from flask_jwt_extended.exceptions import CSRFError, JWTExtendedException
from flask_wtf.csrf import CSRFError as FormCSRFError
from jwt import PyJWTError, get_unverified_header

from stores.base import InspectedCookie, Place, Residence, Store, StoreUnavailable
from stores.logins import ActiveLogin, MemoryLoginIndex, RedisLoginIndex
from stores.session import inspect_signed_session
from webapp.accounts.models import User, find_user

if TYPE_CHECKING:
    from flask import Flask, Response

ALGORITHM = "HS256"
#: Name of the hidden form field that carries the token's CSRF value.
CSRF_FIELD = "jwt_csrf"
#: Errors that mean "this token is not valid": the visitor is not logged in.
INVALID_TOKEN_ERRORS = (JWTExtendedException, PyJWTError, ValueError, TypeError)


class MemoryBlocklist:
    """Revoked login ids in this process's memory; gone when it stops."""

    place = Place.PROCESS
    detail = "process memory"

    def __init__(self) -> None:
        self.expiry: dict[str, float] = {}
        self.lock = threading.Lock()

    def revoke(self, login_id: str, seconds: int) -> None:
        """Refuse tokens of ``login_id`` for ``seconds``."""
        now = time.time()
        with self.lock:
            self.expiry = {key: at for key, at in self.expiry.items() if at > now}
            self.expiry[login_id] = now + seconds

    def is_revoked(self, login_id: str) -> bool:
        """Say whether tokens of ``login_id`` are refused."""
        with self.lock:
            return self.expiry.get(login_id, 0) > time.time()


class RedisBlocklist:
    """Revoked login ids in Redis; a Redis that cannot be read refuses tokens."""

    prefix = "jwt-revoked:"

    def __init__(self, redis_url: str) -> None:
        from redis.exceptions import RedisError

        from stores.base import redis_place
        from stores.redis import connect_redis

        self.client = connect_redis(redis_url)
        self.errors = (RedisError,)
        self.place, self.detail = redis_place(redis_url)

    def revoke(self, login_id: str, seconds: int) -> None:
        """Refuse tokens of ``login_id`` for ``seconds``."""
        try:
            self.client.set(self.prefix + login_id, 1, ex=max(seconds, 1))
        except self.errors as error:
            raise StoreUnavailable(
                "the revocation list (Redis) is unavailable"
            ) from error

    def is_revoked(self, login_id: str) -> bool:
        """Say whether tokens of ``login_id`` are refused; fail closed."""
        try:
            return bool(self.client.exists(self.prefix + login_id))
        except self.errors as error:
            raise StoreUnavailable(
                "the revocation list (Redis) is unavailable"
            ) from error


def key_id(key: str) -> str:
    """Name a signing key without revealing it, for the token's ``kid`` header."""
    return hmac.new(key.encode(), b"key id", hashlib.sha256).hexdigest()[:16]


class JWTStore(Store):
    """Logins kept in signed tokens; only revocations are kept on the server."""

    name = "jwt"

    def init_app(self, app: Flask) -> None:
        """Configure flask-jwt-extended and hook the tokens into Flask-Login."""
        settings = self.settings
        app.config.update(
            JWT_SECRET_KEY=settings.jwt_secret_key,
            JWT_ALGORITHM=ALGORITHM,
            JWT_DECODE_ALGORITHMS=[ALGORITHM],
            JWT_TOKEN_LOCATION=["cookies"],
            JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=settings.jwt_access_lifetime),
            JWT_REFRESH_TOKEN_EXPIRES=timedelta(seconds=settings.session_idle_timeout),
            JWT_ENCODE_ISSUER=settings.jwt_issuer,
            JWT_DECODE_ISSUER=settings.jwt_issuer,
            JWT_ENCODE_AUDIENCE=settings.jwt_audience,
            JWT_DECODE_AUDIENCE=settings.jwt_audience,
            JWT_ENCODE_NBF=True,
            JWT_DECODE_LEEWAY=settings.jwt_leeway,
            JWT_COOKIE_SECURE=False,
            JWT_COOKIE_SAMESITE="Lax",
            JWT_SESSION_COOKIE=True,
            JWT_ACCESS_COOKIE_PATH="/",
            JWT_REFRESH_COOKIE_PATH="/",
            JWT_COOKIE_CSRF_PROTECT=True,
            JWT_CSRF_IN_COOKIES=False,
            JWT_CSRF_CHECK_FORM=True,
            JWT_ACCESS_CSRF_FIELD_NAME=CSRF_FIELD,
            JWT_REFRESH_CSRF_FIELD_NAME=CSRF_FIELD,
        )
        if settings.jwt_blocklist == "redis":
            assert settings.redis_url is not None
            self.blocklist: MemoryBlocklist | RedisBlocklist = RedisBlocklist(
                settings.redis_url
            )
            self.logins: MemoryLoginIndex | RedisLoginIndex = RedisLoginIndex(
                self.blocklist.client, "jwt-logins:"
            )
            self.outage_errors = self.blocklist.errors
        else:
            self.blocklist = MemoryBlocklist()
            self.logins = MemoryLoginIndex()

        keys = (settings.jwt_secret_key, *settings.jwt_secret_key_fallbacks)
        self.keys_by_id = {key_id(key): key for key in keys}
        manager = JWTManager(app)
        manager.additional_headers_loader(
            lambda identity: {"kid": key_id(settings.jwt_secret_key)}
        )
        manager.decode_key_loader(self.verification_key)
        manager.token_in_blocklist_loader(self.is_revoked)

        app.login_manager.request_loader(self.load_user)  # type: ignore[attr-defined]
        app.after_request(self.renew_or_clear_tokens)

    def verification_key(self, header: dict[str, Any], payload: dict[str, Any]) -> str:
        """Pick the key named by the token's ``kid``: the current one or a fallback."""
        return self.keys_by_id.get(str(header.get("kid")), self.settings.jwt_secret_key)

    def is_revoked(self, header: dict[str, Any], payload: dict[str, Any]) -> bool:
        """Refuse a token whose login was logged out (or that names no login)."""
        login_id = payload.get("sid")
        return not isinstance(login_id, str) or self.blocklist.is_revoked(login_id)

    def verified_claims(self) -> dict[str, Any] | None:
        """Return the claims of the request's valid access or refresh token."""
        if "jwt_claims" in g:
            return g.jwt_claims

        g.jwt_claims = None
        config = current_app.config
        for refresh, cookie in (
            (False, config["JWT_ACCESS_COOKIE_NAME"]),
            (True, config["JWT_REFRESH_COOKIE_NAME"]),
        ):
            if cookie not in request.cookies:
                continue
            try:
                verify_jwt_in_request(refresh=refresh, locations=["cookies"])
                claims = get_jwt()
            except CSRFError:
                # A token without its double-submit value may come from a
                # forged form: this request is served as nobody's.
                g.jwt_csrf_failed = True
                return None
            except INVALID_TOKEN_ERRORS:
                g.jwt_clear = True
                continue
            if not self.within_lifetime(claims):
                g.jwt_clear = True
                return None

            g.jwt_clear = False
            g.jwt_claims = claims
            time_left = claims["exp"] - time.time()
            if refresh or time_left < self.settings.jwt_access_lifetime / 2:
                g.jwt_renew = True
            return claims
        return None

    def within_lifetime(self, claims: dict[str, Any]) -> bool:
        """Check the claims this store relies on, and both lifetimes.

        Tokens are re-issued while the user is active, so the newest token's
        ``iat`` is when the user was last seen: older than the idle timeout
        means idle, to the second, whatever JWT_LEEWAY allows on ``exp``.
        """
        login_at, issued_at = claims.get("login_at"), claims.get("iat")
        if not isinstance(login_at, int) or not isinstance(issued_at, int | float):
            return False
        if not isinstance(claims.get("exp"), int | float):
            return False
        if not isinstance(claims.get("csrf"), str):
            return False
        now = time.time()
        return (
            now - login_at <= self.settings.session_max_age
            and now - issued_at <= self.settings.session_idle_timeout
        )

    def load_user(self, _request: Any) -> User | None:
        """Find the user a valid token names, for Flask-Login's ``current_user``."""
        claims = self.verified_claims()
        if claims is None:
            return None
        user = find_user(claims.get("sub"))
        if user is None:
            g.jwt_clear = True
        return user

    def log_in(self, user: User, *, remember: bool, response: Response) -> None:
        """Issue tokens for a new login, revoking the login they replace."""
        self.revoke_current()
        login: dict[str, Any] = {
            "sid": uuid.uuid4().hex,
            "csrf": secrets.token_urlsafe(24),
            "login_at": int(time.time()),
            "remember": remember,
        }
        self.issue(str(user.id), login, response)
        self.logins.add(
            str(user.id),
            login["sid"],
            str(login["login_at"]),
            self.settings.session_max_age,
        )
        g.jwt_final = True

    def log_out(self, response: Response) -> None:
        """Revoke this login on the server and clear its cookies."""
        self.revoke_current()
        if g.get("jwt_csrf_failed"):
            # Clearing the cookies here would claim a logout that revoked
            # nothing; refuse the form instead.
            raise FormCSRFError("The form did not carry this login's CSRF token.")
        unset_jwt_cookies(response)
        g.jwt_final = True

    def revoke_current(self) -> None:
        """Put the login of the request's valid token on the revocation list."""
        claims = self.verified_claims()
        if claims is None:
            return
        self.revoke(claims["sub"], claims["sid"], claims["login_at"])
        g.jwt_claims = None

    def revoke(self, user_id: str, login_id: str, login_at: int) -> None:
        """Refuse every token of one login for as long as any could be valid."""
        remaining = login_at + self.settings.session_max_age - time.time()
        self.blocklist.revoke(login_id, int(remaining) + self.settings.jwt_leeway + 1)
        self.logins.remove(user_id, login_id)

    def active_logins(self, user: User) -> list[ActiveLogin]:
        """List the user's logins that are neither revoked nor too old."""
        user_id = str(user.id)
        claims = self.verified_claims()
        current = claims["sid"] if claims else None
        logins = []
        for login_id, login_at in self.logins.items(user_id).items():
            started = int(login_at)
            too_old = time.time() - started > self.settings.session_max_age
            if too_old or self.blocklist.is_revoked(login_id):
                self.logins.remove(user_id, login_id)
                continue
            logins.append(ActiveLogin(login_id, started, None, login_id == current))
        return sorted(logins, key=lambda login: login.login_at, reverse=True)

    def end_login(self, user: User, login_id: str) -> bool:
        """Revoke one of the user's logins, wherever its tokens are."""
        login_at = self.logins.items(str(user.id)).get(login_id)
        if login_at is None:
            return False
        self.revoke(str(user.id), login_id, int(login_at))
        return True

    def issue(self, identity: str, login: dict[str, Any], response: Response) -> None:
        """Set fresh access and refresh cookies that carry ``login``'s claims."""
        settings = self.settings
        remaining = login["login_at"] + settings.session_max_age - int(time.time())
        idle = settings.session_idle_timeout
        access = create_access_token(
            identity,
            additional_claims=login,
            expires_delta=timedelta(
                seconds=min(settings.jwt_access_lifetime, idle, remaining)
            ),
        )
        refresh = create_refresh_token(
            identity,
            additional_claims=login,
            expires_delta=timedelta(seconds=min(idle, remaining)),
        )
        cookie_age = remaining if login["remember"] else None
        set_access_cookies(response, access, max_age=cookie_age)
        set_refresh_cookies(response, refresh, max_age=cookie_age)

    def renew_or_clear_tokens(self, response: Response) -> Response:
        """Re-issue tokens that are close to expiry; clear ones that are invalid."""
        if g.get("jwt_final"):
            return response

        claims = g.get("jwt_claims")
        if claims and g.get("jwt_renew"):
            login = {
                key: claims[key] for key in ("sid", "csrf", "login_at", "remember")
            }
            self.issue(claims["sub"], login, response)
        elif g.get("jwt_clear"):
            unset_jwt_cookies(response)
        return response

    def form_fields(self) -> dict[str, str]:
        """Return the double-submit CSRF field for the current login's token."""
        claims = self.verified_claims()
        return {CSRF_FIELD: claims["csrf"]} if claims else {}

    def residence(self) -> Residence:
        """Say that logins live in signed tokens, and where revocations live."""
        return Residence(
            state=Place.CLIENT,
            state_detail="client token, signed with "
            + (
                "SECRET_KEY"
                if self.settings.jwt_secret_key == self.settings.secret_key
                else "JWT_SECRET_KEY"
            ),
            revocation=self.blocklist.place,
            revocation_detail=f"revocation list in {self.blocklist.detail}",
            signed_with_secret_key=True,
        )

    def inspect_cookie(self, name: str, value: str) -> InspectedCookie | None:
        """Show a token's header and, once its signature is checked, its claims."""
        config = current_app.config
        roles = {
            config["JWT_ACCESS_COOKIE_NAME"]: "access token",
            config["JWT_REFRESH_COOKIE_NAME"]: "refresh token",
        }
        if name == config["SESSION_COOKIE_NAME"]:
            return inspect_signed_session(name, value, "form CSRF token only")
        if name not in roles:
            return None

        header: Any = "unreadable"
        try:
            header = get_unverified_header(value)
            claims: Any = decode_token(value, allow_expired=True)
        except INVALID_TOKEN_ERRORS as error:
            claims = f"not accepted: {error}"
        return InspectedCookie.of(
            name, value, roles[name], {"header": header, "claims": claims}
        )

    def limits(self) -> dict[str, str]:
        """Name the checks this configuration cannot hold."""
        limits = {}
        if self.blocklist.place is not Place.SHARED:
            limits["L1"] = (
                f"the revocation list lives in {self.blocklist.detail}: another"
                " instance, or this one after a replacement, accepts a logged-out"
                " token."
            )
        if isinstance(self.logins, MemoryLoginIndex):
            limits["L4"] = (
                "the list of logins lives in process memory too: it shows only"
                " the logins this process made, and ending one holds only here."
            )
        return limits
