"""The cost benchmark measures real instances and reports sane figures."""

from __future__ import annotations

from pathlib import Path

from redis import Redis

from tests.conftest import SECRET_KEY
from webapp.demo.cost import measure
from webapp.demo.processes import RedisServer
from webapp.demo.rows import ROWS

ROW_BY_KEY = {row.key: row for row in ROWS}


def test_cost_of_a_shared_redis_login(tmp_path: Path) -> None:
    row = ROW_BY_KEY["redis-external"]
    with (
        RedisServer("cost-test", host="127.0.0.2") as redis,
        Redis.from_url(redis.url) as shared,
    ):
        env = {
            "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}",
            "REDIS_URL": redis.url,
            **row.environment,
        }

        cost = measure(row, env, 30, shared, "costly")

    assert cost.row == row.title
    assert 0 < cost.median_ms <= cost.p95_ms
    assert cost.requests_per_second > 0
    assert cost.cookie_bytes == len("session=") + 43
    assert cost.server_side.endswith("B in Redis")


def test_cost_of_a_cookie_login(tmp_path: Path) -> None:
    row = ROW_BY_KEY["cookie"]
    with RedisServer("cost-test") as redis, Redis.from_url(redis.url) as shared:
        env = {
            "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}",
            **row.environment,
        }

        cost = measure(row, env, 30, shared, "cheap")

    assert cost.cookie_bytes > 100
    assert cost.server_side == "nothing in Redis"
