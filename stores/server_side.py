"""What the memory and redis stores share: Flask-Session on the server.

The browser holds only a random session id; the record lives in the store.
Two rules are kept here once for both stores: a login always moves the
session to a new id, and a request that loaded a session before a concurrent
logout deleted it never writes it back to life when it saves.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from flask import Flask, Request, current_app, session

from stores.base import InspectedCookie
from stores.logins import ActiveLogin, MemoryLoginIndex, RedisLoginIndex
from stores.session import SessionStore

if TYPE_CHECKING:
    from flask import Response
    from flask_session.base import ServerSideSession

    from webapp.accounts.models import User


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

    def read_record(self, sid: str) -> dict[str, Any] | None:
        """Return the stored record of session ``sid``, or None."""
        return self._retrieve_session_data(self._get_store_id(sid))  # type: ignore[attr-defined,no-any-return]

    def delete_record(self, sid: str) -> None:
        """Delete the stored record of session ``sid``."""
        self._delete_session(self._get_store_id(sid))  # type: ignore[attr-defined]


class ServerSideStore(SessionStore):
    """A session store whose records live on a server, keyed by session id."""

    interface: Any
    index: MemoryLoginIndex | RedisLoginIndex

    def renew_session_id(self) -> None:
        """Delete the pre-login record and move the session to a new id."""
        self.interface.regenerate(session)

    def log_in(self, user: User, *, remember: bool, response: Response) -> None:
        """Start the session and add it to the user's list of logins."""
        super().log_in(user, remember=remember, response=response)
        login_id = secrets.token_hex(8)
        session["login_id"] = login_id
        self.index.add(
            str(user.id),
            login_id,
            session.sid,  # type: ignore[attr-defined]
            self.settings.session_max_age,
        )

    def log_out(self, response: Response) -> None:
        """Delete the session and take it off the user's list of logins."""
        user_id, login_id = session.get("_user_id"), session.get("login_id")
        super().log_out(response)
        if user_id and login_id:
            self.index.remove(user_id, login_id)

    def active_logins(self, user: User) -> list[ActiveLogin]:
        """List the user's sessions that still exist, newest first."""
        user_id = str(user.id)
        logins = []
        for login_id, sid in self.index.items(user_id).items():
            record = self.interface.read_record(sid)
            if (
                not record
                or record.get("_user_id") != user_id
                or record.get("login_id") != login_id
            ):
                self.index.remove(user_id, login_id)
                continue
            logins.append(
                ActiveLogin(
                    login_id=login_id,
                    login_at=int(record.get("login_at", 0)),
                    seen_at=record.get("seen_at"),
                    current=login_id == session.get("login_id"),
                )
            )
        return sorted(logins, key=lambda login: login.login_at, reverse=True)

    def end_login(self, user: User, login_id: str) -> bool:
        """Delete one of the user's sessions on the server."""
        sid = self.index.items(str(user.id)).get(login_id)
        if sid is None:
            return False
        self.interface.delete_record(sid)
        self.index.remove(str(user.id), login_id)
        return True

    def inspect_cookie(self, name: str, value: str) -> InspectedCookie | None:
        """Show the session id and the record the store keeps for it."""
        if name != current_app.config["SESSION_COOKIE_NAME"]:
            return None

        record = self.interface.read_record(value)
        return InspectedCookie.of(
            name,
            value,
            "session id",
            {
                # The full id is a credential; a page that printed it would
                # hand it to any script on the site, HttpOnly or not.
                "session id": f"{value[:6]}... ({len(value)} characters)",
                "record on the server": record
                if record is not None
                else "none: the server never issued this id, or it has ended",
            },
        )
