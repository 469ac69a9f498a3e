"""The results page: the latest matrix the demo measured, cell by cell."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, render_template

from webapp.demo.cli import demo_command
from webapp.demo.matrix import (
    SCENARIOS_BY_KEY,
    Cell,
    Matrix,
    latest_path,
    load_matrix,
)

bp = Blueprint("demo", __name__, cli_group=None)
bp.cli.add_command(demo_command)


def latest_matrix() -> Matrix | None:
    """Return the latest matrix the demo saved, or None when there is none."""
    settings = current_app.extensions["settings"]
    return load_matrix(latest_path(current_app.instance_path, settings.demo_results))


@bp.get("/results")
def results() -> str:
    """Show the latest measured matrix, each cell beside its declaration."""
    return render_template(
        "demo/results.html", matrix=latest_matrix(), scenarios=SCENARIOS_BY_KEY
    )


@bp.app_context_processor
def measured_cells_context() -> dict[str, Callable[[], dict[str, Cell]]]:
    """Let templates ask for the measured cells of the active store."""
    return {"measured_cells": measured_cells}


def measured_cells() -> dict[str, Cell]:
    """Return the latest measured cells of the row that matches the active store.

    A row matches when it measured the same store keeping its state, and its
    revocation list, in the same places.
    """
    matrix = latest_matrix()
    if matrix is None:
        return {}

    residence = current_app.extensions["store"].residence()
    revocation = residence.revocation.value if residence.revocation else None
    row = matrix.row_for(
        current_app.extensions["store"].name, residence.state.value, revocation
    )
    return row.cells if row else {}
