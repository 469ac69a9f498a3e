"""The results page: the latest matrix the demo measured, cell by cell."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from webapp.demo.cli import demo_command
from webapp.demo.matrix import (
    SCENARIOS_BY_KEY,
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
