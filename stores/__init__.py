"""Store plugins, one module each, and the registry that picks one by name.

A store module is imported only when it is chosen, so a site that keeps its
logins in memory never imports the Redis or JWT code.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stores.base import Store
    from webapp.settings import Settings

#: SESSION_STORE value -> "module:class" of the plugin that implements it.
REGISTRY = {
    "memory": "stores.memory:MemoryStore",
    "redis": "stores.redis:RedisStore",
    "cookie": "stores.cookie:CookieStore",
    "jwt": "stores.jwt:JWTStore",
}


def load_store(settings: Settings) -> Store:
    """Import and build the store that ``settings.session_store`` names."""
    module_name, class_name = REGISTRY[settings.session_store].split(":")
    store_class = getattr(import_module(module_name), class_name)
    return store_class(settings)
