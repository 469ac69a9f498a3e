"""Start-up: bad settings stop the site with one sentence that names the fix."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SECRET_KEY
from webapp import create_app
from webapp.demo.processes import ROOT, free_port
from webapp.settings import SettingsError, load_settings

GOOD = {"SECRET_KEY": SECRET_KEY}


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"SESSION_STORE": "mongo"}, "SESSION_STORE"),
        ({"SESSION_STORE": "redis"}, "REDIS_URL"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"REDIS_URL": "http://cache:6379"}, "REDIS_URL"),
        ({"SESSION_STORE": "jwt", "JWT_BLOCKLIST": "redis"}, "REDIS_URL"),
        ({"JWT_BLOCKLIST": "postgres"}, "JWT_BLOCKLIST"),
        ({"SESSION_IDLE_TIMEOUT": "soon"}, "SESSION_IDLE_TIMEOUT"),
        ({"SESSION_IDLE_TIMEOUT": "100", "SESSION_MAX_AGE": "50"}, "SESSION_MAX_AGE"),
        ({"TRUSTED_PROXIES": "-1"}, "TRUSTED_PROXIES"),
        ({"APP_ENV": "staging"}, "APP_ENV"),
        ({"LOGIN_RATE_LIMIT": "banana"}, "LOGIN_RATE_LIMIT"),
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://u:p@db:5432/n"}, "DATABASE_URL"),
        ({"DATABASE_URL": "oracle://u:p@db/n"}, "DATABASE_URL"),
        ({"LOGIN_RATE_LIMIT": "0 per minute"}, "LOGIN_RATE_LIMIT"),
        ({"APP_ENV": "development", "SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"JWT_SECRET_KEY": "short"}, "JWT_SECRET_KEY"),
    ],
)
def test_bad_setting_is_refused_by_name(env: dict[str, str], names: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({**GOOD, **env})

    message = str(refused.value)
    assert names in message
    assert "set" in message
    assert message.count(".") >= 1
    assert "\n" not in message


def test_unreachable_redis_stops_start_up(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **GOOD,
        "SESSION_STORE": "redis",
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }

    with pytest.raises(SettingsError, match="REDIS_URL points at a Redis that cannot"):
        create_app(env)


def test_unusable_database_stops_start_up(tmp_path: Path) -> None:
    env = {**GOOD, "DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'a.db'}"}

    with pytest.raises(SettingsError, match="DATABASE_URL points at a database"):
        create_app(env)


def test_gunicorn_stops_instead_of_restarting_a_worker_that_cannot_start() -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": SECRET_KEY,
        "SESSION_STORE": "redis",
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "PORT": str(free_port()),
    }
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]

    result = subprocess.run(
        [*command, "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert result.stderr.count("Cannot start: REDIS_URL points at a Redis") == 1
    assert "Traceback" not in result.stderr


def test_development_makes_a_key_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = {"APP_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}

    with caplog.at_level(logging.INFO):
        app = create_app(env)

    assert len(app.config["SECRET_KEY"]) >= 32
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("will not survive a restart" in message for message in warnings)


def test_one_info_line_names_store_instance_and_place(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = {
        **GOOD,
        "SESSION_STORE": "cookie",
        "INSTANCE_NAME": "blue",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}",
    }

    with caplog.at_level(logging.INFO):
        create_app(env)

    infos = [r.getMessage() for r in caplog.records if r.levelname == "INFO"]
    assert len(infos) == 1
    assert "cookie" in infos[0]
    assert "blue" in infos[0]
    assert "client cookie" in infos[0]
    assert SECRET_KEY not in infos[0]


def test_wsgi_start_fails_with_one_sentence() -> None:
    env = {"PATH": "/usr/bin:/bin", "SESSION_STORE": "nosuch", "SECRET_KEY": SECRET_KEY}

    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 4
    assert result.stderr.strip().splitlines() == [
        "Cannot start: SESSION_STORE='nosuch' is not a store this site knows;"
        " set it to one of: memory, redis, cookie, jwt."
    ]


def test_create_user_command(tmp_path: Path) -> None:
    app = create_app({**GOOD, "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"})
    runner = app.test_cli_runner()

    created = runner.invoke(args=["create-user", "carol"], input="long password\n" * 2)
    again = runner.invoke(args=["create-user", "carol"], input="long password\n" * 2)
    short = runner.invoke(args=["create-user", "dave"], input="short\nshort\n")

    assert created.exit_code == 0, created.output
    assert "Created account 'carol'" in created.output
    assert again.exit_code != 0
    assert "already exists" in again.output
    assert short.exit_code != 0
    assert "at least 8 characters" in short.output
