"""What each store costs per request, measured on real instances.

For every store this starts a real gunicorn instance (and a shared Redis
where the store needs one), logs a visitor in through the forms, then times
logged-in requests to /api/me one after another. It prints, per store: the
median and 95th-percentile time of a request, the bytes of cookie the browser
sends with every request, and what one login occupies on the server.

Run it with ``make bench`` or ``python -m webapp.demo.cost``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import ExitStack
from dataclasses import dataclass

from redis import Redis
from rich.console import Console
from rich.table import Table

from webapp.demo.client import Visitor
from webapp.demo.fleet import open_fleet
from webapp.demo.processes import Instance
from webapp.demo.rows import ROWS, StoreRow

PASSWORD = "correct horse battery"  # noqa: S105 (a throwaway account on a throwaway instance)


@dataclass(frozen=True)
class Cost:
    """What one store cost in one run."""

    row: str
    median_ms: float
    p95_ms: float
    requests_per_second: float
    cookie_bytes: int
    server_side: str


def measure(
    row: StoreRow, env: dict[str, str], requests: int, shared: Redis, username: str
) -> Cost:
    """Start an instance for ``row``, log in, and time ``requests`` requests.

    What a login leaves in Redis is read from the shared Redis, or from the
    instance's own when the row gives it one.
    """
    with ExitStack() as stack:
        instance = stack.enter_context(
            Instance(f"cost-{row.key}", env, own_redis=row.own_redis)
        )
        if instance.redis is not None:
            shared = stack.enter_context(Redis.from_url(instance.redis.url))
        keys_before = set(shared.keys("*"))
        visitor = Visitor()
        visitor.register(instance.url, username, PASSWORD)
        assert visitor.me(instance.url).status_code == 200, f"{row.title}: login failed"
        new_keys = set(shared.keys("*")) - keys_before
        server_bytes = sum(shared.memory_usage(key) or 0 for key in new_keys)

        for _ in range(20):
            visitor.me(instance.url)
        timings = []
        started = time.perf_counter()
        for _ in range(requests):
            before = time.perf_counter()
            response = visitor.me(instance.url)
            timings.append((time.perf_counter() - before) * 1000)
            assert response.status_code == 200, (
                f"{row.title}: logged out while measuring"
            )
        elapsed = time.perf_counter() - started

        cookie_header = str(response.request.headers.get("Cookie", ""))
        where = f"{server_bytes} B in Redis" if new_keys else "nothing in Redis"
        return Cost(
            row=row.title,
            median_ms=statistics.median(timings),
            p95_ms=statistics.quantiles(timings, n=20)[-1],
            requests_per_second=requests / elapsed,
            cookie_bytes=len(cookie_header.encode()),
            server_side=where,
        )


def run(requests: int) -> list[Cost]:
    """Measure every row against one shared Redis and one accounts database."""
    costs: list[Cost] = []
    with open_fleet() as fleet, Redis.from_url(fleet.redis_url) as shared:
        for row in ROWS:
            env = fleet.environment(row)
            costs.append(measure(row, env, requests, shared, f"cost{len(costs)}"))
    return costs


def main() -> None:
    """Measure and print what each store costs per request."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requests", type=int, default=500, help="timed requests per store"
    )
    args = parser.parse_args()

    console = Console(width=110)
    with console.status("Measuring each store on a real instance..."):
        costs = run(args.requests)

    table = Table(
        title=f"Cost of a logged-in GET /api/me ({args.requests} requests each)"
    )
    headings = ("store", "median", "p95", "requests/s", "cookie sent", "a login uses")
    for heading in headings:
        table.add_column(heading)
    for cost in costs:
        table.add_row(
            cost.row,
            f"{cost.median_ms:.2f} ms",
            f"{cost.p95_ms:.2f} ms",
            f"{cost.requests_per_second:.0f}",
            f"{cost.cookie_bytes} B",
            cost.server_side,
        )
    console.print(table)


if __name__ == "__main__":
    main()
