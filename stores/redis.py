"""The redis store: Flask-Session over redis-py, at ``REDIS_URL``.

Where that Redis runs decides everything. On the instance itself it dies
with the instance; as a shared server (ElastiCache) it survives restarts,
replacements and a second instance, and logout deletes the session for good.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, Request, request, session
from flask_session.redis import RedisSessionInterface
from redis import Redis
from redis.exceptions import RedisError

from stores.base import Place, Residence, StoreUnavailable, redis_place
from stores.logins import RedisLoginIndex
from stores.server_side import NoResurrectionMixin, ServerSideStore
from webapp.settings import SettingsError

if TYPE_CHECKING:
    from flask import Response
    from flask_session.base import ServerSideSession

#: Seconds to wait for Redis before a request gives up with a 503.
REDIS_TIMEOUT = 2.0


def connect_redis(url: str) -> Redis:
    """Return a client for ``url``, refusing to start when it cannot be reached."""
    client = Redis.from_url(
        url,
        socket_timeout=REDIS_TIMEOUT,
        socket_connect_timeout=REDIS_TIMEOUT,
        health_check_interval=30,
    )
    try:
        client.ping()
    except RedisError as error:
        raise SettingsError(
            f"REDIS_URL points at a Redis that cannot be reached ({error});"
            " start that Redis or set REDIS_URL to one that runs."
        ) from None
    return client


class SharedRedisSessionInterface(NoResurrectionMixin, RedisSessionInterface):
    """Sessions in Redis; an outage becomes a 503, never a stale login."""

    def open_session(self, app: Flask, request: Request) -> ServerSideSession:
        """Open the session, or an empty one marked unavailable during an outage."""
        try:
            return super().open_session(app, request)
        except RedisError:
            unavailable = self.session_class(sid=None)
            unavailable.unavailable = True  # type: ignore[attr-defined]
            return unavailable

    def save_session(
        self, app: Flask, session: ServerSideSession, response: Response
    ) -> None:
        """Save the session, turning a Redis failure into a 503."""
        if getattr(session, "unavailable", False):
            return
        try:
            super().save_session(app, session, response)
        except RedisError as error:
            session.unavailable = True  # type: ignore[attr-defined]
            raise StoreUnavailable(
                "the session store (Redis) is unavailable"
            ) from error

    def _update_existing(
        self, lifetime: Any, session: ServerSideSession, store_id: str
    ) -> None:
        self.client.set(
            store_id,
            self.serializer.encode(session),
            ex=int(lifetime.total_seconds()),
            xx=True,
        )


class RedisStore(ServerSideStore):
    """Logins kept in the Redis server at ``REDIS_URL``."""

    name = "redis"
    outage_errors = (RedisError,)

    def init_app(self, app: Flask) -> None:
        """Connect to Redis, install the sessions and the outage check."""
        assert self.settings.redis_url is not None
        self.client = connect_redis(self.settings.redis_url)
        super().init_app(app)
        # Before the CSRF check and the rate limiter, which read the session.
        app.before_request_funcs.setdefault(None, []).insert(0, refuse_during_outage)

    def session_interface(self, app: Flask) -> SharedRedisSessionInterface:
        """Keep sessions in Redis under the ``session:`` prefix."""
        self.interface = SharedRedisSessionInterface(
            app, client=self.client, permanent=False
        )
        self.index = RedisLoginIndex(self.client, "session-logins:")
        return self.interface

    def limits(self) -> dict[str, str]:
        """Name what a Redis on the instance itself cannot hold."""
        residence = self.residence()
        if residence.state is not Place.INSTANCE:
            return {}
        return {
            "R3": f"the logins live in {residence.state_detail}: a second instance"
            " has a Redis of its own and does not know them, and a replacement"
            " loses them.",
        }

    def residence(self) -> Residence:
        """Say which Redis keeps the logins, and whether it is on this instance."""
        assert self.settings.redis_url is not None
        place, detail = redis_place(self.settings.redis_url)
        return Residence(state=place, state_detail=detail)


def refuse_during_outage() -> None:
    """Answer 503 while the session could not be read from Redis.

    The health check still answers: a Redis outage is not a reason for the
    platform to replace a healthy instance.
    """
    if getattr(session, "unavailable", False) and request.path != "/healthz":
        raise StoreUnavailable("the session store (Redis) is unavailable")
