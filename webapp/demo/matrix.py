"""The measured matrix: one cell per store row and scenario, with its evidence.

A cell holds what the demo measured and what the row's store declared, so
the matrix itself says where reality contradicts a declaration. It is saved
as JSON (the site's results page reads the latest one) and as Markdown.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

#: The file name of the latest matrix inside the app's instance folder.
LATEST_NAME = "demo-results.json"


@dataclass(frozen=True)
class Scenario:
    """One column: an event, and the question asked after it."""

    key: str
    title: str
    question: str
    yes: str
    no: str

    @property
    def option(self) -> str:
        """Return the name ``--scenarios`` accepts for this scenario."""
        return self.key.replace("_", "-")


#: The columns, keyed like the fields of ``stores.base.Prediction``.
SCENARIOS = (
    Scenario(
        "restart",
        "restart",
        "Still logged in after the process restarts on the same instance?",
        "kept",
        "lost",
    ),
    Scenario(
        "replacement",
        "replacement",
        "Still logged in after the instance is replaced by a new one?",
        "kept",
        "lost",
    ),
    Scenario(
        "second_instance",
        "two instances, no stickiness",
        "How many requests, alternating between two instances, see the login?",
        "kept",
        "lost",
    ),
    Scenario(
        "logout_revokes",
        "logout revokes a copy",
        "Is a copy of the cookies, taken before logout, refused after it?",
        "refused",
        "accepted",
    ),
    Scenario(
        "revocation_survives_replacement",
        "revocation survives replacement",
        "Is that copy still refused once the instance is replaced?",
        "refused",
        "accepted",
    ),
    Scenario(
        "secret_not_shared",
        "different SECRET_KEY",
        "Still logged in on a new instance that has a different SECRET_KEY?",
        "kept",
        "lost",
    ),
)
SCENARIOS_BY_KEY = {scenario.key: scenario for scenario in SCENARIOS}


def select_scenarios(names: list[str]) -> list[Scenario]:
    """Return the scenarios ``names`` asks for, in column order; none means all.

    Raises ValueError naming an unknown name.
    """
    keys = {name.replace("-", "_") for name in names}
    unknown = keys - SCENARIOS_BY_KEY.keys()
    if unknown:
        choices = ", ".join(scenario.option for scenario in SCENARIOS)
        name = sorted(unknown)[0].replace("_", "-")
        raise ValueError(f"{name!r} is not a scenario; choose from: {choices}.")
    return [scenario for scenario in SCENARIOS if not keys or scenario.key in keys]


@dataclass(frozen=True)
class Measurement:
    """What one scenario showed: the answer, and the evidence for it."""

    answer: bool
    evidence: str


@dataclass(frozen=True)
class Cell:
    """One measured scenario of one row, beside what the row's store declared."""

    row: str
    scenario: str
    answer: bool
    evidence: str
    declared: bool

    @property
    def agrees(self) -> bool:
        """Say whether the measurement matches the declaration."""
        return self.answer == self.declared

    @property
    def anchor(self) -> str:
        """Return the id of this cell on the results page."""
        return f"{self.row}--{self.scenario}"

    @property
    def name(self) -> str:
        """Name the cell as a person would: row / column."""
        return f"{self.row} / {SCENARIOS_BY_KEY[self.scenario].title}"

    def declared_words(self) -> str:
        """Say in one word what the store declared for this cell."""
        scenario = SCENARIOS_BY_KEY[self.scenario]
        return scenario.yes if self.declared else scenario.no


@dataclass(frozen=True)
class MeasuredRow:
    """One store configuration, where its store says state lives, and its cells."""

    key: str
    title: str
    store: str
    state: str
    revocation: str | None
    environment: dict[str, str]
    cells: dict[str, Cell]

    def matches(self, store: str, state: str, revocation: str | None) -> bool:
        """Say whether this row measured a store that keeps state where asked."""
        return (self.store, self.state, self.revocation) == (store, state, revocation)


@dataclass(frozen=True)
class Matrix:
    """Every measured row, and how the run that measured them was made."""

    rows: list[MeasuredRow]
    scenarios: list[str]
    requests: int
    command: str
    measured_at: str
    elapsed: float
    external_redis: str

    def cells(self) -> list[Cell]:
        """Return every cell, row by row."""
        return [row.cells[key] for row in self.rows for key in self.scenarios]

    def contradictions(self) -> list[Cell]:
        """Return the cells where reality contradicts the store's declaration."""
        return [cell for cell in self.cells() if not cell.agrees]

    def row_for(
        self, store: str, state: str, revocation: str | None
    ) -> MeasuredRow | None:
        """Find the row that measured a store keeping state where asked."""
        return next(
            (row for row in self.rows if row.matches(store, state, revocation)), None
        )

    def to_json(self) -> str:
        """Return the matrix as JSON."""
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Matrix:
        """Read a matrix written by ``to_json``."""
        data: dict[str, Any] = json.loads(text)
        rows = [
            MeasuredRow(
                **{
                    **row,
                    "cells": {key: Cell(**cell) for key, cell in row["cells"].items()},
                }
            )
            for row in data.pop("rows")
        ]
        return cls(rows=rows, **data)

    def to_markdown(self) -> str:
        """Return the matrix as a Markdown table, with how it was measured."""
        titles = [SCENARIOS_BY_KEY[key].title for key in self.scenarios]
        lines = [
            "| store | " + " | ".join(titles) + " |",
            "|---" * (len(titles) + 1) + "|",
        ]
        for row in self.rows:
            texts = []
            for key in self.scenarios:
                cell = row.cells[key]
                text = cell.evidence
                if not cell.agrees:
                    text += f" (declared: {cell.declared_words()})"
                texts.append(text)
            lines.append(f"| {row.title} | " + " | ".join(texts) + " |")

        lines += ["", f"Measured by `{self.command}` in {self.elapsed:.1f} s."]
        contradicted = self.contradictions()
        if contradicted:
            lines.append(
                "Contradicted declarations: "
                + ", ".join(cell.name for cell in contradicted)
                + "."
            )
        else:
            lines.append("Every cell agrees with what its store declares.")
        return "\n".join(lines) + "\n"


def latest_path(instance_path: str, configured: str = "") -> Path:
    """Return where the latest matrix is kept: DEMO_RESULTS, or the instance folder."""
    return Path(configured) if configured else Path(instance_path) / LATEST_NAME


def load_matrix(path: Path) -> Matrix | None:
    """Read the matrix at ``path``; None when there is none or it cannot be read."""
    try:
        return Matrix.from_json(path.read_text())
    except (OSError, ValueError, TypeError, KeyError):
        return None


def redacted(url: str) -> str:
    """Return ``url`` with its password, if any, replaced by asterisks."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
