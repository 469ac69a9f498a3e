"""How one store row is put through the scenarios, on real instances.

A row gets its own instances and its own account. Cells that need the same
event share it: one restart serves the restart cell, and one replacement
serves the replacement, revocation and new-secret cells, each measured with
its own visitor so that no measurement leans on another.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Sequence
from contextlib import ExitStack

from webapp.demo.client import Visitor
from webapp.demo.fleet import Declaration, DemoError, Fleet
from webapp.demo.matrix import Cell, MeasuredRow, Measurement, Scenario
from webapp.demo.processes import Instance
from webapp.demo.rows import StoreRow

#: Says what a row does now (None: no change) and how many cells it measured.
Report = Callable[[str | None, int], None]
#: The scenarios whose cells are measured after one shared replacement.
AFTER_REPLACEMENT = frozenset(
    {"replacement", "revocation_survives_replacement", "secret_not_shared"}
)


def measure_row(
    row: StoreRow,
    fleet: Fleet,
    scenarios: Sequence[Scenario],
    requests: int,
    report: Report,
) -> MeasuredRow:
    """Measure ``scenarios`` for ``row``; every process it started is stopped."""
    with ExitStack() as stack:
        trial = RowTrial(row, fleet, stack, report)
        declaration, measured = trial.run(
            {scenario.key for scenario in scenarios}, requests
        )
        report("stopping its instances", len(measured))
    report("done", len(measured))

    declared = declaration.prediction.as_dict()
    residence = declaration.residence
    return MeasuredRow(
        key=row.key,
        title=row.title,
        store=declaration.store,
        state=residence.state.value,
        revocation=residence.revocation.value if residence.revocation else None,
        environment=fleet.shown_environment(row),
        cells={
            scenario.key: Cell(
                row=row.key,
                scenario=scenario.key,
                answer=measured[scenario.key].answer,
                evidence=measured[scenario.key].evidence,
                declared=declared[scenario.key],
            )
            for scenario in scenarios
        },
    )


class RowTrial:
    """One row's instances, account and visitors, and the measurements they make."""

    def __init__(
        self, row: StoreRow, fleet: Fleet, stack: ExitStack, report: Report
    ) -> None:
        self.row = row
        self.fleet = fleet
        self.stack = stack
        self.report = report
        self.username = f"{row.key}-{secrets.token_hex(4)}"
        self.password = secrets.token_urlsafe(18)
        self.measured: dict[str, Measurement] = {}

    def run(
        self, scenarios: Collection[str], requests: int
    ) -> tuple[Declaration, dict[str, Measurement]]:
        """Measure the scenarios named; return the store's declaration and them."""
        first = self.instance("a")
        second = self.instance("b") if "second_instance" in scenarios else None
        self.step("starting instances")
        self.fleet.start(*[instance for instance in (first, second) if instance])
        declaration = self.fleet.declaration(first)
        self.register(first)

        if second is not None:
            self.step(f"alternating {requests} requests between two instances")
            visitor = self.log_in(first)
            self.record(
                "second_instance", self.alternate(visitor, first, second, requests)
            )
            second.stop()
        if "logout_revokes" in scenarios:
            self.step("replaying a copy of the cookies after logout")
            copy = self.copy_then_log_out(first)
            self.record("logout_revokes", after_logout(self.replay(copy, first)))
        if "restart" in scenarios:
            visitor = self.log_in(first)
            self.step("restarting the process")
            self.fleet.restart(first)
            self.record("restart", self.still_logged_in(visitor, first))
        if AFTER_REPLACEMENT & set(scenarios):
            self.replace(first, scenarios)
        return declaration, self.measured

    def replace(self, old: Instance, scenarios: Collection[str]) -> None:
        """Prepare visitors on ``old``, replace it, and measure on its successors."""
        kept = self.log_in(old) if "replacement" in scenarios else None
        copy: dict[str, str] | None = None
        before = 0
        if "revocation_survives_replacement" in scenarios:
            copy = self.copy_then_log_out(old)
            before = self.replay(copy, old)
        rekeyed = self.log_in(old) if "secret_not_shared" in scenarios else None

        same_key = None
        if kept is not None or copy is not None:
            same_key = self.instance("a-new")
        new_key = None
        if rekeyed is not None:
            other_secret = secrets.token_urlsafe(48)
            new_key = self.instance("a-new-key", secret_key=other_secret)
        self.step("replacing the instance")
        self.fleet.replace(old, *[new for new in (same_key, new_key) if new])

        if kept is not None and same_key is not None:
            self.record("replacement", self.still_logged_in(kept, same_key))
        if copy is not None and same_key is not None:
            after = self.replay(copy, same_key)
            self.record(
                "revocation_survives_replacement", after_replacement(before, after)
            )
        if rekeyed is not None and new_key is not None:
            self.record("secret_not_shared", self.still_logged_in(rekeyed, new_key))

    def instance(self, role: str, *, secret_key: str | None = None) -> Instance:
        """Make an instance of this row, named after its role."""
        return self.fleet.instance(
            self.stack, self.row, f"{self.row.key}-{role}", secret_key=secret_key
        )

    def register(self, instance: Instance) -> None:
        """Create this row's account through the registration form."""
        response = Visitor().register(instance.url, self.username, self.password)
        if response.status_code != 302:
            self.fail(instance, f"registering answered {response.status_code}")

    def log_in(self, instance: Instance) -> Visitor:
        """Return a new visitor logged in on ``instance``, checked with /api/me."""
        self.fleet.check()
        visitor = Visitor()
        response = visitor.log_in(instance.url, self.username, self.password)
        confirmed = visitor.me(instance.url).status_code
        if response.status_code != 302 or confirmed != 200:
            self.fail(
                instance,
                f"logging in answered {response.status_code},"
                f" then /api/me answered {confirmed}",
            )
        return visitor

    def copy_then_log_out(self, instance: Instance) -> dict[str, str]:
        """Log a visitor in, copy its cookies, log it out; return the copy."""
        visitor = self.log_in(instance)
        copy = visitor.cookies()
        response = visitor.log_out(instance.url)
        if response.status_code != 302:
            self.fail(instance, f"logging out answered {response.status_code}")
        return copy

    def replay(self, cookies: dict[str, str], instance: Instance) -> int:
        """Send copied cookies to /api/me from a fresh jar; return the status."""
        self.fleet.check()
        replayer = Visitor()
        replayer.replace_cookies(cookies)
        return replayer.me(instance.url).status_code

    def still_logged_in(self, visitor: Visitor, instance: Instance) -> Measurement:
        """Ask /api/me on ``instance`` whether ``visitor`` is still logged in."""
        self.fleet.check()
        status = visitor.me(instance.url).status_code
        if status == 200:
            return Measurement(True, "kept: 200")
        return Measurement(False, f"lost: {status}")

    def alternate(
        self, visitor: Visitor, first: Instance, second: Instance, requests: int
    ) -> Measurement:
        """Send ``requests`` requests to the two instances in turn; count logins."""
        self.fleet.check()
        kept = sum(
            visitor.me((first, second)[number % 2].url).status_code == 200
            for number in range(requests)
        )
        return Measurement(kept == requests, f"kept {kept}/{requests}")

    def record(self, scenario: str, measurement: Measurement) -> None:
        """Keep one cell's measurement and report the progress."""
        self.measured[scenario] = measurement
        self.report(None, len(self.measured))

    def step(self, doing: str) -> None:
        """Report what the row does now."""
        self.fleet.check()
        self.report(doing, len(self.measured))

    def fail(self, instance: Instance, what: str) -> None:
        """Stop the run: a measurement's precondition did not hold."""
        raise DemoError(
            f"{self.row.key}: on instance {instance.name}, {what}; the instance"
            f" printed:\n{instance.output()[-2000:]}"
        )


def after_logout(status: int) -> Measurement:
    """Judge a copy replayed after logout by the status it got."""
    if status == 200:
        return Measurement(False, "accepted after logout")
    return Measurement(True, f"refused: {status}")


def after_replacement(before: int, after: int) -> Measurement:
    """Judge a logged-out copy replayed before and after a replacement."""
    if after != 200:
        return Measurement(True, f"refused: {after}")
    if before != 200:
        return Measurement(False, "accepted after replacement")
    return Measurement(False, "accepted after logout")
