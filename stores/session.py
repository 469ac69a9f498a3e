"""What the stores that keep the login in Flask's ``session`` have in common.

The memory, redis and cookie stores differ only in where ``session`` is kept;
logging in and out, and the idle and absolute lifetimes, work the same in all
three, so they live here once.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from typing import TYPE_CHECKING

from flask import current_app, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import login_user, logout_user
from itsdangerous import BadSignature

from stores.base import InspectedCookie, Store
from webapp.accounts.models import find_user

if TYPE_CHECKING:
    from flask import Flask, Response
    from flask.sessions import SessionInterface

    from webapp.accounts.models import User

#: How long a ``seen_at`` stamp may age before a request refreshes it. A
#: refresh is a store write, so it is not done on every request.
SEEN_REFRESH_SECONDS = 60


class SessionStore(Store):
    """A store whose login state is Flask's ``session`` and Flask-Login's keys."""

    def init_app(self, app: Flask) -> None:
        """Install the session interface and the server-side lifetime checks."""
        app.session_interface = self.session_interface(app)
        app.login_manager.user_loader(find_user)  # type: ignore[attr-defined]
        app.before_request(self.enforce_lifetime)

    @abstractmethod
    def session_interface(self, app: Flask) -> SessionInterface:
        """Return the Flask session interface that keeps ``session`` in place."""

    def renew_session_id(self) -> None:
        """Give the session a new id, so the pre-login id authenticates nobody."""

    def log_in(self, user: User, *, remember: bool, response: Response) -> None:
        """Start a fresh session for ``user``; ``remember`` makes its cookie last."""
        self.renew_session_id()
        session.clear()

        login_user(user)
        now = int(time.time())
        session["login_at"] = now
        session["seen_at"] = now
        session.permanent = remember

    def log_out(self, response: Response) -> None:
        """Empty the session; the interface then deletes it and its cookie."""
        logout_user()
        session.clear()

    def enforce_lifetime(self) -> None:
        """End a login that is idle too long or older than the maximum age."""
        if "_user_id" not in session:
            return

        now = int(time.time())
        seen_at = session.get("seen_at", 0)
        too_old = now - session.get("login_at", 0) > self.settings.session_max_age
        too_idle = now - seen_at > self.settings.session_idle_timeout
        if too_old or too_idle:
            logout_user()
            session.clear()
            return

        refresh_after = min(
            SEEN_REFRESH_SECONDS, self.settings.session_idle_timeout // 4
        )
        if now - seen_at >= max(refresh_after, 1):
            session["seen_at"] = now


def inspect_signed_session(name: str, value: str, role: str) -> InspectedCookie:
    """Decode Flask's signed session cookie, once its signature is checked."""
    serializer = SecureCookieSessionInterface().get_signing_serializer(current_app)
    try:
        payload = serializer.loads(value) if serializer else None
    except BadSignature:
        payload = "not accepted: the signature does not match or it has expired"
    return InspectedCookie.of(name, value, role, payload)
