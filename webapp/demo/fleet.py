"""The instances of one demo run, and the external services that outlive them.

The external services are one Redis server (the role ElastiCache plays) and
the accounts database (the role RDS plays). The external Redis listens on
127.0.0.2: the stores count any Redis reached through 127.0.0.1 as running
on the instance, so a second loopback address is what makes it shared.
"""

from __future__ import annotations

import logging
import secrets
import socket
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError

from stores.base import Prediction, Residence
from webapp import create_app
from webapp.demo.matrix import redacted
from webapp.demo.processes import Instance, RedisServer
from webapp.demo.rows import StoreRow
from webapp.extensions import db

#: The loopback address of the external Redis: not 127.0.0.1, so it is shared.
EXTERNAL_HOST = "127.0.0.2"
#: One visitor logs in many times in a few seconds; the default limit is ten.
LOGIN_RATE_LIMIT = "10000 per minute"
#: Settings that change where or how a login is kept. A row sets the ones it
#: needs; the others are blanked, so the caller's shell cannot change a row.
LOGIN_SETTINGS = (
    "SESSION_STORE",
    "REDIS_URL",
    "JWT_BLOCKLIST",
    "SECRET_KEY_FALLBACKS",
    "JWT_SECRET_KEY",
    "JWT_SECRET_KEY_FALLBACKS",
)


class DemoError(Exception):
    """A measurement could not be made; the message says which and why."""


class Cancelled(Exception):
    """The run was interrupted or another row failed; this row stops here."""


@dataclass(frozen=True)
class Declaration:
    """What a row's store says about itself, read from the store's own code."""

    store: str
    residence: Residence
    prediction: Prediction


class Fleet:
    """Builds, starts, restarts and replaces the instances of one run."""

    def __init__(self, database_url: str, redis_url: str) -> None:
        self.database_url = database_url
        self.redis_url = redis_url
        self.secret_key = secrets.token_urlsafe(48)
        self.cancelled = threading.Event()
        self.build_lock = threading.Lock()

    def environment(
        self, row: StoreRow, *, secret_key: str | None = None
    ) -> dict[str, str]:
        """Return the environment every instance of ``row`` starts with."""
        env = {**self.base_environment(secret_key), **row.environment}
        if row.external_redis:
            env["REDIS_URL"] = self.redis_url
        return env

    def base_environment(self, secret_key: str | None = None) -> dict[str, str]:
        """Return what every instance shares: a production site, one database."""
        return {
            **dict.fromkeys(LOGIN_SETTINGS, ""),
            "APP_ENV": "production",
            "SECRET_KEY": secret_key or self.secret_key,
            "DATABASE_URL": self.database_url,
            "LOGIN_RATE_LIMIT": LOGIN_RATE_LIMIT,
        }

    def shown_environment(self, row: StoreRow) -> dict[str, str]:
        """Return the row's settings as the results show them, secrets left out."""
        shown = dict(row.environment)
        if row.external_redis:
            shown["REDIS_URL"] = redacted(self.redis_url)
        elif row.own_redis:
            shown["REDIS_URL"] = "redis://127.0.0.1:<the instance's own port>/0"
        return shown

    def instance(
        self,
        stack: ExitStack,
        row: StoreRow,
        name: str,
        *,
        secret_key: str | None = None,
    ) -> Instance:
        """Make an instance of ``row``, stopped when ``stack`` closes."""
        instance = Instance(
            name, self.environment(row, secret_key=secret_key), own_redis=row.own_redis
        )
        stack.callback(instance.stop)
        return instance

    def start(self, *instances: Instance) -> None:
        """Start ``instances`` side by side and wait until every one is healthy."""
        self.check()
        with ThreadPoolExecutor(max_workers=len(instances)) as pool:
            started = [pool.submit(instance.start) for instance in instances]
        for future in started:
            future.result()

    def restart(self, instance: Instance) -> None:
        """Restart the instance's process, keeping its disk and its own Redis."""
        self.check()
        instance.restart()

    def replace(self, old: Instance, *successors: Instance) -> None:
        """Stop ``old`` (wiping its disk and Redis), then start its successors."""
        self.check()
        old.stop()
        self.start(*successors)

    def declaration(self, instance: Instance) -> Declaration:
        """Build the site here, with the instance's environment, and ask its store."""
        self.check()
        store = self.build_site(instance.launch_env).extensions["store"]
        return Declaration(store.name, store.residence(), store.prediction())

    def prepare_database(self) -> None:
        """Create the accounts tables before any instance starts.

        Instances starting side by side on an empty database would race to
        create them.
        """
        self.build_site(self.base_environment())

    def build_site(self, env: dict[str, str]) -> Flask:
        """Build the site in this process, without its start-up log line."""
        logger = logging.getLogger("webapp")
        with self.build_lock:
            was_disabled, logger.disabled = logger.disabled, True
            try:
                app = create_app(env)
            finally:
                logger.disabled = was_disabled
        with app.app_context():
            db.engine.dispose()
        return app

    def check(self) -> None:
        """Raise Cancelled once the run has been told to stop."""
        if self.cancelled.is_set():
            raise Cancelled

    def cancel(self) -> None:
        """Make every row stop at its next step."""
        self.cancelled.set()


@contextmanager
def open_fleet(redis_url: str | None = None) -> Iterator[Fleet]:
    """Start the external services, yield the fleet, stop everything on exit.

    Without ``redis_url`` a redis-server is started on 127.0.0.2.
    """
    with ExitStack() as stack:
        scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="demo-"))
        if redis_url is None:
            check_listens(EXTERNAL_HOST)
            redis = RedisServer("external-redis", host=EXTERNAL_HOST)
            stack.callback(redis.stop)
            redis_url = redis.start().url
        else:
            check_reachable(redis_url)

        fleet = Fleet(f"sqlite:///{scratch}/accounts.sqlite3", redis_url)
        fleet.prepare_database()
        yield fleet


def check_listens(host: str) -> None:
    """Make sure this machine can listen on ``host``, or say how to fix it."""
    try:
        with socket.socket() as probe:
            probe.bind((host, 0))
    except OSError as error:
        raise DemoError(
            f"This machine cannot listen on {host} ({error.strerror}), where the"
            " demo runs its external Redis; add the address to the loopback"
            f" interface (macOS: sudo ifconfig lo0 alias {host} up), or give an"
            " external Redis with --redis-url."
        ) from None


def check_reachable(redis_url: str) -> None:
    """Make sure the Redis at ``redis_url`` answers, or say so."""
    client = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except RedisError as error:
        raise DemoError(
            f"The Redis at --redis-url {redacted(redis_url)} does not answer"
            f" ({error}); start it, or leave the option out and the demo starts"
            " one."
        ) from None
    finally:
        client.close()
