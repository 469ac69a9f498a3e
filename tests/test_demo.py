"""The demo, run for real: the matrix it measures, and what it leaves behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from tests.conftest import SECRET_KEY
from webapp import create_app
from webapp.demo.matrix import Matrix, redacted
from webapp.demo.processes import ROOT, RedisServer
from webapp.demo.rows import select_rows

#: A whole run must finish well inside this, or the test fails.
RUN_TIMEOUT = 120


@dataclass(frozen=True)
class DemoRun:
    """One finished run of ``flask --app wsgi demo`` and the files it wrote."""

    status: int
    output: str
    scratch: Path
    latest: Path
    json_path: Path
    markdown_path: Path

    def matrix(self) -> Matrix:
        """Read the matrix the run saved with --json."""
        return Matrix.from_json(self.json_path.read_text())


def demo_environment(tmp: Path) -> dict[str, str]:
    """Return the environment of a demo run whose every file stays in ``tmp``."""
    scratch = tmp / "scratch"
    scratch.mkdir(exist_ok=True)
    return {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{tmp / 'cli.sqlite3'}",
        "DEMO_RESULTS": str(tmp / "latest.json"),
        # Every temporary file and directory of the run, and of the processes
        # it starts, lands here, so the test can see whether any is left.
        "TMPDIR": str(scratch),
        "COLUMNS": "160",
    }


#: Runs a command with Ctrl-C doing what it does in a terminal, even when this
#: test runs as a background job, where the shell starts it with SIGINT ignored.
WITH_DEFAULT_SIGINT = [
    sys.executable,
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL);"
    " os.execv(sys.argv[1], sys.argv[1:])",
]


def demo_command(tmp: Path, *options: str) -> list[str]:
    """Return the command line of a demo run that saves its matrix in ``tmp``."""
    return [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "wsgi",
        "demo",
        "--json",
        str(tmp / "matrix.json"),
        "--markdown",
        str(tmp / "matrix.md"),
        *options,
    ]


def run_demo(tmp: Path, *options: str) -> DemoRun:
    """Run the demo to its end in a subprocess, as a user does."""
    finished = subprocess.run(
        demo_command(tmp, *options),
        cwd=ROOT,
        env=demo_environment(tmp),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    return DemoRun(
        status=finished.returncode,
        output=finished.stdout + finished.stderr,
        scratch=tmp / "scratch",
        latest=tmp / "latest.json",
        json_path=tmp / "matrix.json",
        markdown_path=tmp / "matrix.md",
    )


def started_by_run(scratch: Path) -> list[psutil.Process]:
    """Return the live processes a run started: their TMPDIR is in ``scratch``.

    Instances get a disk inside the run's TMPDIR as their own TMPDIR, and
    Redis servers inherit the run's; both outlive their parent if orphaned.
    """
    found = []
    for process in psutil.process_iter():
        try:
            tmpdir = process.environ().get("TMPDIR", "")
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        if tmpdir.startswith(str(scratch)) and process.pid != os.getpid():
            found.append(process)
    return found


def leftovers(scratch: Path) -> tuple[list[str], list[str]]:
    """Return the processes and files a finished run left behind."""
    processes = [" ".join(process.cmdline()) for process in started_by_run(scratch)]
    files = sorted(path.name for path in scratch.iterdir())
    return processes, files


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """Run the whole matrix once: every row, every scenario."""
    return run_demo(tmp_path_factory.mktemp("demo"))


def cell(matrix: Matrix, row: str, scenario: str) -> tuple[bool, str]:
    """Return the answer and evidence of one measured cell."""
    measured = next(each for each in matrix.rows if each.key == row).cells[scenario]
    return measured.answer, measured.evidence


def test_full_matrix_agrees_with_every_declaration(full_run: DemoRun) -> None:
    assert full_run.status == 0, full_run.output
    matrix = full_run.matrix()
    assert [row.key for row in matrix.rows] == [
        "memory",
        "redis-instance",
        "redis-external",
        "cookie",
        "jwt-memory",
        "jwt-redis",
    ]
    assert len(matrix.cells()) == 36
    assert matrix.contradictions() == []
    assert "Every measured cell agrees" in full_run.output
    assert matrix.elapsed < 60


def test_full_matrix_teaches_the_lesson(full_run: DemoRun) -> None:
    matrix = full_run.matrix()
    everywhere = [
        "restart",
        "replacement",
        "second_instance",
        "logout_revokes",
        "revocation_survives_replacement",
        "secret_not_shared",
    ]

    assert cell(matrix, "memory", "restart") == (False, "lost: 401")
    assert cell(matrix, "redis-instance", "restart") == (True, "kept: 200")
    assert cell(matrix, "redis-instance", "replacement") == (False, "lost: 401")
    for scenario in everywhere:
        assert cell(matrix, "redis-external", scenario)[0], scenario
    assert cell(matrix, "redis-external", "second_instance") == (True, "kept 20/20")
    for scenario in ("restart", "replacement", "second_instance"):
        assert cell(matrix, "cookie", scenario)[0], scenario
    assert cell(matrix, "cookie", "logout_revokes") == (False, "accepted after logout")
    assert cell(matrix, "jwt-memory", "logout_revokes") == (True, "refused: 401")
    assert cell(matrix, "jwt-memory", "revocation_survives_replacement") == (
        False,
        "accepted after replacement",
    )
    assert cell(matrix, "jwt-redis", "revocation_survives_replacement") == (
        True,
        "refused: 401",
    )


def test_full_run_writes_the_same_matrix_everywhere(full_run: DemoRun) -> None:
    matrix = full_run.matrix()
    markdown = full_run.markdown_path.read_text()

    assert json.loads(full_run.latest.read_text()) == json.loads(
        full_run.json_path.read_text()
    )
    assert "| memory | lost: 401 | lost: 401 | kept 10/20 |" in markdown
    assert f"in {matrix.elapsed:.1f} s" in markdown
    assert f"in {matrix.elapsed:.1f} s" in full_run.output


def test_full_run_leaves_no_process_and_no_file(full_run: DemoRun) -> None:
    assert leftovers(full_run.scratch) == ([], [])


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_stops_everything_it_started(
    tmp_path: Path, sig: signal.Signals
) -> None:
    demo = subprocess.Popen(
        [
            *WITH_DEFAULT_SIGINT,
            *demo_command(tmp_path, "--stores", "memory,redis-instance"),
        ],
        cwd=ROOT,
        env=demo_environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    scratch = tmp_path / "scratch"
    try:
        wait_for_instances(scratch, count=2)
        demo.send_signal(sig)
        output, _ = demo.communicate(timeout=RUN_TIMEOUT)
    finally:
        demo.kill()
        demo.wait()

    assert demo.returncode == 130, output
    assert "Interrupted; every process the demo started is stopped." in output
    assert leftovers(scratch) == ([], [])
    assert not (tmp_path / "latest.json").exists()


def wait_for_instances(scratch: Path, count: int) -> None:
    """Wait until a run has started ``count`` gunicorn processes."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        started = [
            process
            for process in started_by_run(scratch)
            if "gunicorn" in " ".join(process.cmdline())
        ]
        if len(started) >= count:
            return
        time.sleep(0.1)
    pytest.fail(f"the demo did not start {count} instances")


def test_contradicted_declaration_fails_and_names_the_cell(
    tmp_path: Path, redis_server: RedisServer, redis_url: str
) -> None:
    # The test Redis outlives every instance, but it is reached through
    # 127.0.0.1, so the store declares that it dies with the instance.
    assert redis_server.host == "127.0.0.1"
    run = run_demo(
        tmp_path,
        "--stores",
        "redis-external",
        "--scenarios",
        "replacement,logout-revokes",
        "--redis-url",
        redis_url,
    )

    assert run.status == 1, run.output
    assert "Contradicted: redis-external / replacement" in run.output
    assert "declares 'lost', the demo measured 'kept: 200'" in run.output
    contradicted = run.matrix().contradictions()
    assert [each.anchor for each in contradicted] == ["redis-external--replacement"]
    assert "Contradicted declarations: redis-external / replacement." in (
        run.markdown_path.read_text()
    )
    assert leftovers(run.scratch) == ([], [])


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--stores", "mongo", "'mongo' is not a row"),
        ("--scenarios", "reboot", "'reboot' is not a scenario"),
        ("--redis-url", "http://example.com", "give a URL like redis://"),
        ("--requests", "1", "1 is not in the range x>=2"),
    ],
)
def test_bad_option_is_refused_before_anything_starts(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    app = create_app(demo_environment(tmp_path))
    result = app.test_cli_runner().invoke(args=["demo", option, value])

    assert result.exit_code == 2
    assert message in result.output
    assert list((tmp_path / "scratch").iterdir()) == []


def test_unreachable_redis_url_is_a_clear_error(tmp_path: Path) -> None:
    with RedisServer("gone") as gone:
        url = gone.url
    run = run_demo(tmp_path, "--stores", "redis-external", "--redis-url", url)

    assert run.status == 1
    assert f"The Redis at --redis-url {url} does not answer" in run.output
    assert leftovers(run.scratch) == ([], [])


def test_results_page_shows_the_latest_matrix(
    full_run: DemoRun, tmp_path: Path
) -> None:
    env = {**demo_environment(tmp_path), "DEMO_RESULTS": str(full_run.latest)}
    client = create_app(env).test_client()

    page = client.get("/results").get_data(as_text=True)

    assert 'id="memory--restart" class="bad">lost: 401' in page
    assert 'id="redis-external--second_instance" class="good">kept 20/20' in page
    assert "accepted after replacement" in page
    assert "Every cell agrees with what its store declares." in page


@pytest.mark.parametrize(
    ("store", "row"),
    [({"SESSION_STORE": "memory"}, "memory"), ({"SESSION_STORE": "cookie"}, "cookie")],
)
def test_inspector_links_each_declared_answer_to_its_measured_cell(
    full_run: DemoRun, tmp_path: Path, store: dict[str, str], row: str
) -> None:
    env = {**demo_environment(tmp_path), **store, "DEMO_RESULTS": str(full_run.latest)}
    client = create_app(env).test_client()

    page = client.get("/session").get_data(as_text=True)

    for scenario in ("restart", "replacement", "logout_revokes", "secret_not_shared"):
        assert f'href="/results#{row}--{scenario}"' in page
    assert "not measured" not in page


def test_pages_without_a_measurement_say_so(tmp_path: Path) -> None:
    missing = {**demo_environment(tmp_path), "DEMO_RESULTS": str(tmp_path / "none")}
    client = create_app(missing).test_client()

    assert "Nothing has been measured here yet" in client.get("/results").get_data(
        as_text=True
    )
    assert ">not measured</a>" in client.get("/session").get_data(as_text=True)


def test_unreadable_results_are_treated_as_none(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"rows": [')
    client = create_app(
        {**demo_environment(tmp_path), "DEMO_RESULTS": str(broken)}
    ).test_client()

    response = client.get("/results")

    assert response.status_code == 200
    assert "Nothing has been measured here yet" in response.get_data(as_text=True)


def test_redis_url_passwords_never_reach_the_results() -> None:
    assert redacted("redis://:s3cret@cache:6379/0") == "redis://:***@cache:6379/0"
    assert redacted("rediss://app:s3cret@cache/1") == "rediss://app:***@cache/1"
    assert redacted("redis://127.0.0.2:6379/0") == "redis://127.0.0.2:6379/0"


def test_a_store_name_selects_all_its_rows() -> None:
    assert [row.key for row in select_rows(["jwt", "memory"])] == [
        "memory",
        "jwt-memory",
        "jwt-redis",
    ]
    assert [row.key for row in select_rows(["redis-external"])] == ["redis-external"]
