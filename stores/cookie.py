"""The cookie store: Flask's own session, signed with ``SECRET_KEY``.

The whole login travels in the browser's cookie, so every instance that shares
the key accepts it and nothing on the server needs to survive. The price:
the server keeps nothing it could revoke, so a copy of the cookie taken
before logout still works afterwards, until it expires.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app
from flask.sessions import SecureCookieSessionInterface

from stores.base import InspectedCookie, Place, Residence
from stores.session import SessionStore, inspect_signed_session

if TYPE_CHECKING:
    from flask import Flask


class CookieStore(SessionStore):
    """Logins kept in a cookie the browser holds and the server signs."""

    name = "cookie"

    def session_interface(self, app: Flask) -> SecureCookieSessionInterface:
        """Use Flask's signed-cookie session, honouring SECRET_KEY_FALLBACKS."""
        self.interface = SecureCookieSessionInterface()
        return self.interface

    def residence(self) -> Residence:
        """Say that logins live in the browser, signed with SECRET_KEY."""
        return Residence(
            state=Place.CLIENT,
            state_detail="client cookie, signed with SECRET_KEY",
            signed_with_secret_key=True,
        )

    def inspect_cookie(self, name: str, value: str) -> InspectedCookie | None:
        """Show the payload of the signed session cookie, once verified."""
        if name != current_app.config["SESSION_COOKIE_NAME"]:
            return None
        return inspect_signed_session(name, value, "signed session: the login")

    def limits(self) -> dict[str, str]:
        """Name the checks a signed cookie cannot hold by its nature."""
        return {
            "L1": "a signed cookie keeps no state on the server, so a copy"
            " taken before logout is accepted until it expires.",
            "L4": "the server keeps no list of a user's sessions to show or end.",
            "L5": "a request that was running at logout can send the cookie again.",
        }
