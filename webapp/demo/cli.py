"""The ``demo`` command: replace real instances and measure what survives."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from webapp.demo.matrix import SCENARIOS, latest_path, redacted, select_scenarios
from webapp.demo.rows import ROWS, select_rows

OUTPUT_FILE = click.Path(dir_okay=False, writable=True, path_type=Path)
DEFAULT_REQUESTS = 20


@click.command("demo")
@click.option(
    "--stores",
    default="",
    metavar="ROWS",
    help="Comma-separated rows to measure; a store name picks all its rows."
    f" Rows: {', '.join(row.key for row in ROWS)}. Default: all.",
)
@click.option(
    "--scenarios",
    default="",
    metavar="SCENARIOS",
    help="Comma-separated scenarios to measure:"
    f" {', '.join(scenario.option for scenario in SCENARIOS)}. Default: all.",
)
@click.option(
    "--redis-url",
    default=None,
    metavar="URL",
    help="An external Redis to use instead of the one the demo starts on 127.0.0.2.",
)
@click.option(
    "--requests",
    default=DEFAULT_REQUESTS,
    show_default=True,
    type=click.IntRange(min=2),
    help="Requests alternated between two instances.",
)
@click.option("--json", "json_path", type=OUTPUT_FILE, help="Also write JSON here.")
@click.option(
    "--markdown", "markdown_path", type=OUTPUT_FILE, help="Also write Markdown here."
)
@with_appcontext
def demo_command(
    stores: str,
    scenarios: str,
    redis_url: str | None,
    requests: int,
    json_path: Path | None,
    markdown_path: Path | None,
) -> None:
    """Replace real instances and measure which stores keep users logged in."""
    try:
        rows = select_rows(names(stores))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--stores") from None
    try:
        chosen = select_scenarios(names(scenarios))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--scenarios") from None
    if redis_url is not None and not redis_url.startswith(("redis://", "rediss://")):
        raise click.BadParameter(
            "give a URL like redis://host:6379/0.", param_hint="--redis-url"
        )

    settings = current_app.extensions["settings"]
    latest = latest_path(current_app.instance_path, settings.demo_results)
    outputs = {
        "json": [latest, *([json_path] if json_path else [])],
        "markdown": [markdown_path] if markdown_path else [],
    }
    # The site never needs the demo's machinery, so it is imported only here.
    from webapp.demo.runner import main

    status = main(
        rows,
        chosen,
        redis_url=redis_url,
        requests=requests,
        command=command_line(stores, scenarios, redis_url, requests),
        outputs=outputs,
    )
    click.get_current_context().exit(status)


def names(option: str) -> list[str]:
    """Split a comma-separated option into its names."""
    return [name.strip().lower() for name in option.split(",") if name.strip()]


def command_line(
    stores: str, scenarios: str, redis_url: str | None, requests: int
) -> str:
    """Rebuild the command that measured a matrix, for the record."""
    parts = ["flask --app wsgi demo"]
    if stores:
        parts.append(f"--stores {stores}")
    if scenarios:
        parts.append(f"--scenarios {scenarios}")
    if redis_url:
        parts.append(f"--redis-url {redacted(redis_url)}")
    if requests != DEFAULT_REQUESTS:
        parts.append(f"--requests {requests}")
    return " ".join(parts)
