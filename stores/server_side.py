"""What the memory and redis stores share: Flask-Session on the server.

The browser holds only a random session id; the record lives in the store.
Two rules are kept here once for both stores: a login always moves the
session to a new id, and a request that loaded a session before a concurrent
logout deleted it never writes it back to life when it saves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, Request, current_app, session

from stores.base import InspectedCookie
from stores.session import SessionStore

if TYPE_CHECKING:
    from flask_session.base import ServerSideSession, ServerSideSessionInterface


class NoResurrectionMixin:
    """Mix into a Flask-Session interface; subclasses give ``_update_existing``.

    Sessions read from the store are only ever updated in place; only a
    brand-new session id may create a record.
    """

    def open_session(self, app: Flask, request: Request) -> ServerSideSession:
        """Open the session and note whether its record already exists."""
        opened: ServerSideSession = super().open_session(app, request)  # type: ignore[misc]
        sent_id = request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        opened.stored = sent_id == opened.sid  # type: ignore[attr-defined]
        return opened

    def regenerate(self, session: ServerSideSession) -> None:
        """Move the session to a new id, which has no record yet."""
        super().regenerate(session)  # type: ignore[misc]
        session.stored = False  # type: ignore[attr-defined]

    def _upsert_session(
        self, lifetime: Any, session: ServerSideSession, store_id: str
    ) -> None:
        if getattr(session, "stored", False):
            self._update_existing(lifetime, session, store_id)
        else:
            super()._upsert_session(lifetime, session, store_id)  # type: ignore[misc]

    def _update_existing(
        self, lifetime: Any, session: ServerSideSession, store_id: str
    ) -> None:
        raise NotImplementedError


class ServerSideStore(SessionStore):
    """A session store whose records live on a server, keyed by session id."""

    interface: ServerSideSessionInterface

    def renew_session_id(self) -> None:
        """Delete the pre-login record and move the session to a new id."""
        self.interface.regenerate(session)  # type: ignore[arg-type]

    def inspect_cookie(self, name: str, value: str) -> InspectedCookie | None:
        """Show the session id and the record the store keeps for it."""
        if name != current_app.config["SESSION_COOKIE_NAME"]:
            return None

        record = self.interface._retrieve_session_data(
            self.interface._get_store_id(value)
        )
        return InspectedCookie(
            name=name,
            size=len(name) + 1 + len(value),
            role="session id",
            decoded={
                "session id": value,
                "record on the server": record
                if record is not None
                else "none: the server never issued this id, or it has ended",
            },
        )
