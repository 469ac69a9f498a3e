"""Each user's list of active logins, so they can see them and end the others.

A login is named by a short random id that is not a credential: the list is
shown in the page, so it must never hold a session id or a token. What the
id points at (a session id, or a JWT login id) is up to the store.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stores.base import StoreUnavailable

if TYPE_CHECKING:
    from redis import Redis


@dataclass(frozen=True)
class ActiveLogin:
    """One of a user's logins, as the account page lists it."""

    login_id: str
    login_at: int
    seen_at: int | None
    current: bool


class MemoryLoginIndex:
    """Logins per user in this process's memory, beside the logins themselves."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, str]] = {}
        self.lock = threading.Lock()

    def add(self, user_id: str, login_id: str, target: str, seconds: int) -> None:
        """Record that ``login_id`` of ``user_id`` points at ``target``."""
        with self.lock:
            self.entries.setdefault(user_id, {})[login_id] = target

    def remove(self, user_id: str, login_id: str) -> None:
        """Forget one login of ``user_id``."""
        with self.lock:
            self.entries.get(user_id, {}).pop(login_id, None)

    def items(self, user_id: str) -> dict[str, str]:
        """Return every recorded login of ``user_id`` and what it points at."""
        with self.lock:
            return dict(self.entries.get(user_id, {}))


class RedisLoginIndex:
    """Logins per user in a Redis hash, shared by every instance."""

    def __init__(self, client: Redis, prefix: str) -> None:
        from redis.exceptions import RedisError

        self.client = client
        self.prefix = prefix
        self.errors = (RedisError,)

    def add(self, user_id: str, login_id: str, target: str, seconds: int) -> None:
        """Record that ``login_id`` of ``user_id`` points at ``target``."""
        key = self.prefix + user_id
        try:
            with self.client.pipeline() as pipe:
                pipe.hset(key, login_id, target)
                pipe.expire(key, seconds)
                pipe.execute()
        except self.errors as error:
            raise StoreUnavailable("the login list (Redis) is unavailable") from error

    def remove(self, user_id: str, login_id: str) -> None:
        """Forget one login of ``user_id``."""
        try:
            self.client.hdel(self.prefix + user_id, login_id)
        except self.errors as error:
            raise StoreUnavailable("the login list (Redis) is unavailable") from error

    def items(self, user_id: str) -> dict[str, str]:
        """Return every recorded login of ``user_id`` and what it points at."""
        try:
            found = self.client.hgetall(self.prefix + user_id)
        except self.errors as error:
            raise StoreUnavailable("the login list (Redis) is unavailable") from error
        return {as_text(key): as_text(value) for key, value in found.items()}


def as_text(value: bytes | str) -> str:
    """Return a Redis reply as text."""
    return value.decode() if isinstance(value, bytes) else value
