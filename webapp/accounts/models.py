"""The user table and its password hashing (Argon2id, a memory-hard hash)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db

password_hasher = PasswordHasher()

#: Verifying against this hash costs what a real check costs, so a login for a
#: name that does not exist takes as long as one with a wrong password.
_UNUSED_HASH = password_hasher.hash("no account has this password")


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    """An account that can log in."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=lambda: datetime.now(UTC))

    def set_password(self, password: str) -> None:
        """Store an Argon2id hash of ``password``; the password itself is dropped."""
        self.password_hash = password_hasher.hash(password)

    def check_password(self, password: str) -> bool:
        """Say whether ``password`` matches, upgrading an outdated hash."""
        try:
            password_hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if password_hasher.check_needs_rehash(self.password_hash):
            self.set_password(password)
            db.session.commit()
        return True


def find_user(user_id: Any) -> User | None:
    """Return the user with id ``user_id``, or None for anything else."""
    try:
        key = int(str(user_id))
    except ValueError:
        return None
    if not 0 < key < 2**63:
        return None
    return db.session.get(User, key)


def authenticate(username: str, password: str) -> User | None:
    """Return the user whose name and password match, or None, in equal time."""
    user = db.session.execute(
        db.select(User).filter_by(username=username)
    ).scalar_one_or_none()
    if user is None:
        with contextlib.suppress(VerificationError):
            password_hasher.verify(_UNUSED_HASH, password)
        return None
    return user if user.check_password(password) else None


def add_user(username: str, password: str) -> User | None:
    """Add an account to the open transaction; None if the name is taken.

    The caller commits, so that an account whose first login fails is not
    left behind. Two registrations racing for one name meet at the unique
    index: the second gets None, not an error.
    """
    user = User(username=username)
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    return user


def username_taken(username: str) -> bool:
    """Say whether an account with this name exists."""
    return (
        db.session.execute(db.select(User.id).filter_by(username=username)).first()
        is not None
    )
