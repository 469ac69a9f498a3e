"""The store configurations the demo measures, one row of the matrix each."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class StoreRow:
    """A store configuration: its environment and the Redis it is given."""

    key: str
    title: str
    environment: dict[str, str] = field(default_factory=dict)
    #: Each instance starts a Redis of its own, on 127.0.0.1, that dies with it.
    own_redis: bool = False
    #: REDIS_URL points at the external Redis, which outlives every instance.
    external_redis: bool = False


ROWS = (
    StoreRow("memory", "memory", {"SESSION_STORE": "memory"}),
    StoreRow(
        "redis-instance",
        "redis on the instance",
        {"SESSION_STORE": "redis"},
        own_redis=True,
    ),
    StoreRow(
        "redis-external",
        "redis, external",
        {"SESSION_STORE": "redis"},
        external_redis=True,
    ),
    StoreRow("cookie", "cookie", {"SESSION_STORE": "cookie"}),
    StoreRow(
        "jwt-memory",
        "jwt, revocation list in memory",
        {"SESSION_STORE": "jwt", "JWT_BLOCKLIST": "memory"},
    ),
    StoreRow(
        "jwt-redis",
        "jwt, revocation list in external Redis",
        {"SESSION_STORE": "jwt", "JWT_BLOCKLIST": "redis"},
        external_redis=True,
    ),
)


def select_rows(names: list[str]) -> list[StoreRow]:
    """Return the rows ``names`` asks for; a store name selects all its rows.

    ``redis`` selects both Redis rows, ``redis-external`` only one. An empty
    list selects every row. Raises ValueError naming an unknown name.
    """
    if not names:
        return list(ROWS)

    chosen: list[StoreRow] = []
    for name in names:
        found = [
            row for row in ROWS if row.key == name or row.key.startswith(f"{name}-")
        ]
        if not found:
            choices = ", ".join(row.key for row in ROWS)
            raise ValueError(f"{name!r} is not a row; choose from: {choices}.")
        chosen += [row for row in found if row not in chosen]
    return [row for row in ROWS if row in chosen]
