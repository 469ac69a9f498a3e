"""One demo run: every row measured side by side, shown and saved.

The rows run in threads, each on instances of its own; the external Redis
and the accounts database are shared, as they are in production. When a row
fails, or the user presses Ctrl-C, every row stops at its next step and each
stops what it started before the run ends.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from requests import RequestException
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from webapp.demo.fleet import DemoError, Fleet, open_fleet
from webapp.demo.matrix import (
    SCENARIOS_BY_KEY,
    Cell,
    Matrix,
    MeasuredRow,
    Scenario,
    redacted,
)
from webapp.demo.processes import ProcessError
from webapp.demo.rows import StoreRow
from webapp.demo.scenarios import Report, measure_row
from webapp.settings import SettingsError

#: The exit status of a run stopped by Ctrl-C, as a shell reports it.
INTERRUPTED = 130


def main(
    rows: Sequence[StoreRow],
    scenarios: Sequence[Scenario],
    *,
    redis_url: str | None,
    requests: int,
    command: str,
    outputs: dict[str, list[Path]],
) -> int:
    """Run the demo, show and save the matrix; return the exit status.

    ``outputs`` maps "json" and "markdown" to the files to write.
    """
    console = Console(highlight=False)
    if not console.is_terminal:
        # Piped into a file or CI, keep the table's rows on one line each.
        console.width = 160
    try:
        with sigterm_as_interrupt():
            matrix = run(rows, scenarios, redis_url, requests, command, console)
    except KeyboardInterrupt:
        console.print("Interrupted; every process the demo started is stopped.")
        return INTERRUPTED
    except (DemoError, ProcessError, SettingsError, RequestException) as error:
        console.print(f"[red]The demo could not measure:[/red] {error}")
        return 1

    console.print(matrix_table(matrix))
    console.print(
        f"Measured {len(matrix.scenarios)} scenarios on {len(matrix.rows)} store"
        f" configurations in {matrix.elapsed:.1f} s."
    )
    try:
        save(matrix, outputs)
    except OSError as error:
        console.print(f"[red]Could not save the results:[/red] {error}")
        return 1
    saved = ", ".join(str(path) for paths in outputs.values() for path in paths)
    console.print(f"Saved to {saved}; the site shows the latest at /results.")

    contradicted = matrix.contradictions()
    for cell in contradicted:
        console.print(
            f"[bold red]Contradicted:[/bold red] {cell.name}: the store declares"
            f" '{cell.declared_words()}', the demo measured '{cell.evidence}'."
        )
    if not contradicted:
        console.print("Every measured cell agrees with what its store declares.")
    return 1 if contradicted else 0


def run(
    rows: Sequence[StoreRow],
    scenarios: Sequence[Scenario],
    redis_url: str | None,
    requests: int,
    command: str,
    console: Console,
) -> Matrix:
    """Start the external services, measure every row, stop everything."""
    started = time.monotonic()
    with row_progress(console) as progress:
        services = progress.add_task(
            "external services", total=1, doing="starting Redis and the database"
        )
        with open_fleet(redis_url) as fleet:
            progress.update(services, completed=1, doing="running")
            measured = measure_rows(fleet, rows, scenarios, requests, progress)
            progress.update(services, doing="stopping")
        external_redis = redacted(fleet.redis_url)

    return Matrix(
        rows=measured,
        scenarios=[scenario.key for scenario in scenarios],
        requests=requests,
        command=command,
        measured_at=datetime.now(UTC).isoformat(timespec="seconds"),
        elapsed=round(time.monotonic() - started, 1),
        external_redis=external_redis,
    )


def measure_rows(
    fleet: Fleet,
    rows: Sequence[StoreRow],
    scenarios: Sequence[Scenario],
    requests: int,
    progress: Progress,
) -> list[MeasuredRow]:
    """Measure the rows side by side; on any failure, stop them all."""
    with ThreadPoolExecutor(max_workers=len(rows), thread_name_prefix="row") as pool:
        pending = {
            pool.submit(
                measure_row,
                row,
                fleet,
                scenarios,
                requests,
                reporter(progress, row.title, len(scenarios)),
            ): row.key
            for row in rows
        }
        try:
            measured = {pending[done]: done.result() for done in as_completed(pending)}
        except BaseException:
            # Leaving the pool waits for every row, so each must stop soon.
            fleet.cancel()
            raise
    return [measured[row.key] for row in rows]


def reporter(progress: Progress, title: str, total: int) -> Report:
    """Return the function a row calls to show what it does."""
    task = progress.add_task(title, total=total, doing="waiting")

    def report(doing: str | None, measured: int) -> None:
        if doing is None:
            progress.update(task, completed=measured)
        else:
            progress.update(task, completed=measured, doing=doing)

    return report


@contextmanager
def row_progress(console: Console) -> Iterator[Progress]:
    """Show one progress line per row while the demo runs."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", style="bold"),
        BarColumn(bar_width=12),
        MofNCompleteColumn(),
        TextColumn("{task.fields[doing]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        yield progress


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C, so a terminated demo also cleans up."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def matrix_table(matrix: Matrix) -> Table:
    """Return the matrix as a terminal table, contradictions marked."""
    table = Table(
        title="Which stores keep users logged in, measured",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_lines=True,
        padding=(0, 1),
    )
    table.add_column("store", style="bold", overflow="fold", min_width=10)
    for key in matrix.scenarios:
        table.add_column(SCENARIOS_BY_KEY[key].title, overflow="fold")
    for row in matrix.rows:
        table.add_row(
            row.title, *[cell_text(row.cells[key]) for key in matrix.scenarios]
        )
    return table


def cell_text(cell: Cell) -> Text:
    """Colour a cell green when it is good for the user, red when not."""
    text = Text(cell.evidence, style="green" if cell.answer else "red")
    if not cell.agrees:
        text.append(f"\ncontradicts: declared {cell.declared_words()}", style="bold")
    return text


def save(matrix: Matrix, outputs: dict[str, list[Path]]) -> None:
    """Write the matrix as JSON and Markdown to the files asked for."""
    for kind, paths in outputs.items():
        text = matrix.to_json() if kind == "json" else matrix.to_markdown()
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write beside, then rename: the results page never reads half a file.
            partial = path.with_name(f".{path.name}.partial")
            partial.write_text(text)
            os.replace(partial, path)
