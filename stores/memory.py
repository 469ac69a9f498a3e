"""The memory store: Flask-Session over a cache inside this one process.

The simplest store there is, and the one that loses every login on every
restart, and sends users who land on another worker or instance back to the
login page. It is the default because it needs nothing; the demo shows its
price.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from cachelib import SimpleCache
from flask_session.cachelib import CacheLibSessionInterface

from stores.base import Place, Residence
from stores.logins import MemoryLoginIndex
from stores.server_side import NoResurrectionMixin, ServerSideStore

if TYPE_CHECKING:
    from flask import Flask
    from flask_session.base import ServerSideSession


class ProcessMemorySessionInterface(NoResurrectionMixin, CacheLibSessionInterface):
    """Sessions in a cache of this process; a delete and an update never race."""

    def __init__(self, cache: SimpleCache) -> None:
        super().__init__(client=cache, permanent=False)
        self.lock = threading.Lock()

    def _delete_session(self, store_id: str) -> None:
        with self.lock:
            self.cache.delete(store_id)

    def _update_existing(
        self, lifetime: Any, session: ServerSideSession, store_id: str
    ) -> None:
        with self.lock:
            if self.cache.has(store_id):
                CacheLibSessionInterface._upsert_session(
                    self, lifetime, session, store_id
                )


class MemoryStore(ServerSideStore):
    """Logins kept in the memory of the process that served the login."""

    name = "memory"

    def session_interface(self, app: Flask) -> ProcessMemorySessionInterface:
        """Keep sessions in a cache that lives and dies with this process."""
        cache = SimpleCache(
            threshold=100_000, default_timeout=self.settings.session_max_age
        )
        self.interface = ProcessMemorySessionInterface(cache)
        self.index = MemoryLoginIndex()
        return self.interface

    def limits(self) -> dict[str, str]:
        """Name the checks that logins in one process's memory cannot hold."""
        return {
            "R3": "a second instance, or a second gunicorn worker, has memory of"
            " its own and does not know logins made elsewhere.",
        }

    def residence(self) -> Residence:
        """Say that logins live in this process's memory."""
        return Residence(
            state=Place.PROCESS,
            state_detail=f"process memory (pid {os.getpid()})",
        )
