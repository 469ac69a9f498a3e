"""The deployment files: Dockerfile, Procfile, gunicorn settings, .ebextensions.

There is no Docker engine and no AWS account here, so everything is checked
offline: hadolint and cfn-lint, the option names and values Elastic Beanstalk
documents, and the exact start-up commands of the image and the Procfile, run
as real local processes on a free loopback port.
"""

from __future__ import annotations

import ast
import ipaddress
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
import yaml
from cfnlint.api import ManualArgs, lint
from dockerfile_parse import DockerfileParser
from sqlalchemy import create_engine

from tests.conftest import SECRET_KEY
from webapp.demo.client import hidden_fields
from webapp.demo.processes import ManagedProcess, free_port
from webapp.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
PROCFILE = ROOT / "Procfile"
GUIDE = ROOT / "docs" / "deploy.md"
#: The configuration Elastic Beanstalk applies to every environment.
EBEXTENSIONS = sorted((ROOT / ".ebextensions").glob("*.config"))
#: Configuration that stays off until the user copies it into .ebextensions.
OPTIONAL_EBEXTENSIONS = sorted((ROOT / "docs" / "eb").glob("*.config"))
ALL_EBEXTENSIONS = EBEXTENSIONS + OPTIONAL_EBEXTENSIONS

GENERAL_OPTIONS = "https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html"
PYTHON_OPTIONS = (
    "https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/"
    "command-options-specific.html#command-options-python"
)
ENVIRONMENT_PROPERTIES = (
    "https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/"
    "environments-cfg-softwaresettings.html"
)

Check = Callable[[str], bool]


def one_of(*allowed: str) -> Check:
    """Accept exactly one of ``allowed``."""
    return lambda value: value in allowed


def whole_number(low: int, high: int) -> Check:
    """Accept a whole number from ``low`` to ``high``."""
    return lambda value: value.isdigit() and low <= int(value) <= high


def http_codes(low: int, high: int) -> Check:
    """Accept a comma-separated list of HTTP status codes from ``low`` to ``high``."""
    return lambda value: all(
        whole_number(low, high)(code.strip()) for code in value.split(",")
    )


def routable_path(value: str) -> bool:
    """Accept a URL path."""
    return value.startswith("/") and " " not in value


def any_text(value: str) -> bool:
    """Accept any value."""
    return True


BOOLEAN = one_of("true", "false")

#: Option namespaces valid on every platform, the options each documents and
#: the values each takes, copied from the page that documents them. ``None``
#: means any option name (environment properties).
DOCUMENTED_OPTIONS: dict[str, tuple[str, dict[str, Check] | None]] = {
    "aws:elasticbeanstalk:application:environment": (GENERAL_OPTIONS, None),
    "aws:elasticbeanstalk:command": (
        GENERAL_OPTIONS,
        {
            "DeploymentPolicy": one_of(
                "AllAtOnce",
                "Rolling",
                "RollingWithAdditionalBatch",
                "Immutable",
                "TrafficSplitting",
            ),
            "Timeout": whole_number(1, 3600),
            "BatchSizeType": one_of("Percentage", "Fixed"),
            "BatchSize": whole_number(1, 10000),
            "IgnoreHealthCheck": BOOLEAN,
        },
    ),
    "aws:elasticbeanstalk:environment": (
        GENERAL_OPTIONS,
        {
            "EnvironmentType": one_of("SingleInstance", "LoadBalanced"),
            "ServiceRole": any_text,
            "LoadBalancerType": one_of("classic", "application", "network"),
        },
    ),
    "aws:elasticbeanstalk:environment:process:default": (
        GENERAL_OPTIONS,
        {
            "DeregistrationDelay": whole_number(0, 3600),
            "HealthCheckInterval": whole_number(5, 300),
            "HealthCheckPath": routable_path,
            "HealthCheckTimeout": whole_number(1, 60),
            "HealthyThresholdCount": whole_number(2, 10),
            "MatcherHTTPCode": http_codes(200, 499),
            "Port": whole_number(1, 65535),
            "Protocol": one_of("HTTP", "HTTPS", "TCP"),
            "StickinessEnabled": BOOLEAN,
            "StickinessLBCookieDuration": whole_number(1, 604800),
            "StickinessType": one_of("lb_cookie"),
            "UnhealthyThresholdCount": whole_number(2, 10),
        },
    ),
    "aws:elasticbeanstalk:healthreporting:system": (
        GENERAL_OPTIONS,
        {
            "SystemType": one_of("basic", "enhanced"),
            "HealthCheckSuccessThreshold": one_of(
                "Ok", "Warning", "Degraded", "Severe"
            ),
        },
    ),
    "aws:elasticbeanstalk:managedactions": (
        GENERAL_OPTIONS,
        {
            "ManagedActionsEnabled": BOOLEAN,
            "PreferredStartTime": any_text,
        },
    ),
    "aws:elasticbeanstalk:managedactions:platformupdate": (
        GENERAL_OPTIONS,
        {
            "UpdateLevel": one_of("patch", "minor"),
            "InstanceRefreshEnabled": BOOLEAN,
        },
    ),
    "aws:autoscaling:asg": (
        GENERAL_OPTIONS,
        {
            "MinSize": whole_number(1, 10000),
            "MaxSize": whole_number(1, 10000),
            "Cooldown": whole_number(0, 10000),
        },
    ),
}

#: Options only the Python platform knows. The Docker platform refuses to start
#: an environment whose configuration files name them ("Invalid option
#: specification ... Unknown configuration setting", reported in
#: https://github.com/aws/aws-elastic-beanstalk-cli/issues/28), so they never
#: go into .ebextensions, which both platforms read.
PYTHON_PLATFORM_OPTIONS: dict[str, tuple[str, dict[str, Check]]] = {
    "aws:elasticbeanstalk:container:python": (
        PYTHON_OPTIONS,
        {
            "WSGIPath": lambda value: bool(re.fullmatch(r"[\w.]+:\w+", value)),
            "NumProcesses": whole_number(1, 10000),
            "NumThreads": whole_number(1, 10000),
        },
    ),
}

# Environment property limits, from ENVIRONMENT_PROPERTIES ("Environment
# property limits"): keys of letters, digits and underscores (the form every
# platform accepts) up to 128 characters; values up to 256 characters of
# letters, digits, white space and _ . : / = + \ - @ ' " only; all properties
# together at most 4,096 bytes as key=value.
PROPERTY_KEY = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")
PROPERTY_VALUE = re.compile(r"[A-Za-z0-9\s_.:/=+\\\-@'\"]{0,256}")
PROPERTIES_MAX_BYTES = 4096

ENVIRONMENT_NAMESPACE = "aws:elasticbeanstalk:application:environment"
#: A value Elastic Beanstalk computes at deployment from a CloudFormation
#: function, written between backquotes.
FUNCTION_VALUE = re.compile(r"`(\{.*\})`", re.DOTALL)

#: Resources Elastic Beanstalk creates in every load-balanced environment, which
#: .ebextensions resources may name; stubbed so cfn-lint can resolve them.
ELASTIC_BEANSTALK_RESOURCES = {
    "AWSEBSecurityGroup": {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {"GroupDescription": "Instances of the environment"},
    },
    "AWSEBLoadBalancerSecurityGroup": {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {"GroupDescription": "Load balancer of the environment"},
    },
}

PASSWORD = "correct horse battery"


def read_config(path: Path) -> dict[str, Any]:
    """Parse one Elastic Beanstalk configuration file."""
    parsed = yaml.safe_load(path.read_text())
    assert isinstance(parsed, dict), f"{path.name} is not a YAML mapping"
    return parsed


def option_settings(path: Path) -> list[tuple[str, str, Any]]:
    """Return the (namespace, option, value) triples a configuration file sets.

    Elastic Beanstalk accepts two shapes: a mapping of namespaces to options,
    and a list of ``namespace`` / ``option_name`` / ``value`` entries.
    """
    settings = read_config(path).get("option_settings") or {}
    if isinstance(settings, list):
        return [
            (entry["namespace"], entry["option_name"], entry["value"])
            for entry in settings
        ]
    return [
        (namespace, option, value)
        for namespace, options in settings.items()
        for option, value in options.items()
    ]


def environment_properties(paths: list[Path]) -> dict[str, str]:
    """Return the environment properties ``paths`` set, later files winning."""
    properties: dict[str, str] = {}
    for path in paths:
        for namespace, option, value in option_settings(path):
            if namespace == ENVIRONMENT_NAMESPACE:
                properties[option] = value
    return properties


def literal_strings(node: Any) -> Iterator[str]:
    """Yield the hard-coded strings of a CloudFormation function, not its names."""
    if isinstance(node, dict):
        for name, argument in node.items():
            if name == "Fn::GetAtt":
                continue
            yield from literal_strings(argument)
    elif isinstance(node, list):
        for item in node:
            yield from literal_strings(item)
    elif isinstance(node, str):
        yield node


def names_the_site_reads() -> set[str]:
    """Return the environment variables webapp/settings.py and gunicorn read."""
    names: set[str] = set()
    for source in (ROOT / "webapp" / "settings.py", ROOT / "gunicorn.conf.py"):
        names |= set(re.findall(r"""["']([A-Z][A-Z0-9_]+)["']""", source.read_text()))
    return names


def dockerfile() -> DockerfileParser:
    """Parse the Dockerfile at the repository root."""
    return DockerfileParser(path=str(DOCKERFILE))


def instructions(name: str) -> list[str]:
    """Return the values of every ``name`` instruction of the Dockerfile."""
    return [
        step["value"]
        for step in dockerfile().structure
        if step["instruction"] == name.upper()
    ]


def image_command() -> list[str]:
    """Return the Dockerfile's CMD, which must be in exec (JSON) form."""
    command = json.loads(instructions("CMD")[-1])
    assert isinstance(command, list)
    return [str(word) for word in command]


def procfile_command() -> list[str]:
    """Return the command of the Procfile's ``web`` process."""
    processes = dict(
        line.split(":", 1)
        for line in PROCFILE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    return shlex.split(processes["web"])


def guide_lines(containing: str) -> list[str]:
    """Return the lines of docs/deploy.md that contain ``containing``."""
    return [line for line in GUIDE.read_text().splitlines() if containing in line]


def deploy_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """Return what an instance's process sees: the .ebextensions properties,
    the secret the guide has the user set, and a free loopback port.

    The accounts database goes to ``tmp_path`` instead of the instance disk.
    """
    return {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        **environment_properties(EBEXTENSIONS),
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'accounts.sqlite3'}",
        "PORT": str(free_port()),
        **overrides,
    }


class StartedCommand(ManagedProcess):
    """A start-up command run as a local process, its stdout and stderr apart."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.error_path: Path | None = None
        self.url = ""

    def launch(self, command: list[str], env: Mapping[str, str], cwd: Path) -> None:
        """Start ``command`` in its own process group, each stream to a file."""
        with (
            tempfile.NamedTemporaryFile(suffix=".out", delete=False) as out,
            tempfile.NamedTemporaryFile(suffix=".err", delete=False) as err,
        ):
            self.log_path, self.error_path = Path(out.name), Path(err.name)
            self.process = subprocess.Popen(
                command,
                env=dict(env),
                cwd=cwd,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def errors(self) -> str:
        """Return what the process has written to stderr so far."""
        if self.error_path is None or not self.error_path.exists():
            return ""
        return self.error_path.read_text(errors="replace")

    def stop(self) -> None:
        """Stop the process and remove both output files."""
        super().stop()
        if self.error_path is not None:
            self.error_path.unlink(missing_ok=True)
            self.error_path = None


@contextmanager
def serving(command: list[str], env: Mapping[str, str]) -> Iterator[StartedCommand]:
    """Run ``command`` from the repository root until /healthz answers 200.

    The process is stopped when the block ends, also when a test fails.
    """
    site = StartedCommand(command[0])
    site.url = f"http://127.0.0.1:{env['PORT']}"

    def healthy() -> bool:
        try:
            return requests.get(f"{site.url}/healthz", timeout=1).ok
        except requests.RequestException:
            return False

    try:
        site.launch(command, env, ROOT)
        site.wait_until(healthy, "healthy")
        yield site
    finally:
        site.stop()


def set_cookies(response: requests.Response) -> list[str]:
    """Return every Set-Cookie header of ``response``, one per cookie."""
    return list(response.raw.headers.getlist("Set-Cookie"))


def cookie_header(*responses: requests.Response) -> str:
    """Build the Cookie header a browser sends back after ``responses``."""
    jar: dict[str, str] = {}
    for response in responses:
        for header in set_cookies(response):
            name, value = header.split(";")[0].split("=", 1)
            jar[name] = value
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def is_secure_host_cookie(header: str) -> bool:
    """Say whether a Set-Cookie header is one a browser keeps only over HTTPS."""
    attributes = [part.strip().lower() for part in header.split(";")[1:]]
    return (
        header.startswith("__Host-")
        and "secure" in attributes
        and "path=/" in attributes
        and not any(part.startswith("domain=") for part in attributes)
    )


# Dockerfile


def test_hadolint_passes_on_the_dockerfile() -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "hadolint"),
            "--no-color",
            "--disable-ignore-pragma",
            "--failure-threshold",
            "style",
            str(DOCKERFILE),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_image_is_pinned_rebuilds_fast_and_runs_unprivileged() -> None:
    steps = [(step["instruction"], step["value"]) for step in dockerfile().structure]
    kinds = [kind for kind, _ in steps]

    base = dockerfile().baseimage
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base)

    copies = [value for kind, value in steps if kind == "COPY"]
    assert copies[0].split()[0] == "requirements.txt"
    install = next(i for i, (k, v) in enumerate(steps) if "pip install" in v)
    code = steps.index(("COPY", ". ."))
    assert kinds.index("COPY") < install < code

    user = instructions("USER")[-1].split(":")[0]
    assert user.isdigit() and int(user) != 0
    assert kinds.index("USER") > code
    assert kinds[-1] == "CMD"


def test_image_exposes_the_port_gunicorn_binds_and_checks_healthz() -> None:
    env = dockerfile().envs

    assert instructions("EXPOSE") == [env["PORT"]]
    # Every interface of the container, where the platform's proxy reaches it.
    assert ipaddress.ip_address(env["BIND_HOST"]).is_unspecified
    healthcheck = instructions("HEALTHCHECK")[0]
    assert "/healthz" in healthcheck
    assert "os.environ['PORT']" in healthcheck
    assert image_command()[0] == "gunicorn"


def test_dockerignore_keeps_tests_caches_and_environments_out() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }

    for entry in (".git", "tests", "**/.venv", "**/__pycache__", "**/*.pyc"):
        assert entry in ignored
    for entry in ("**/.pytest_cache", "**/.mypy_cache", "**/.ruff_cache"):
        assert entry in ignored
    for needed in ("wsgi.py", "webapp", "stores", "requirements.txt"):
        assert needed not in ignored
    assert "gunicorn.conf.py" not in ignored


# Elastic Beanstalk configuration


def test_configuration_files_are_found() -> None:
    assert [path.name for path in EBEXTENSIONS] == [
        "01-environment.config",
        "02-load-balancer.config",
        "03-deployment.config",
    ]
    assert [path.name for path in OPTIONAL_EBEXTENSIONS] == [
        "50-elasticache-redis.config"
    ]


@pytest.mark.parametrize("path", ALL_EBEXTENSIONS, ids=lambda path: path.name)
def test_every_option_is_one_elastic_beanstalk_documents(path: Path) -> None:
    for namespace, option, value in option_settings(path):
        assert namespace not in PYTHON_PLATFORM_OPTIONS, (
            f"{path.name} sets {namespace}, which the Docker platform refuses"
        )
        assert namespace in DOCUMENTED_OPTIONS, f"{namespace} is not documented"
        source, options = DOCUMENTED_OPTIONS[namespace]
        # A quoted value reaches Elastic Beanstalk as written; a bare one is
        # YAML's to reinterpret (no, 0755, 1e3).
        assert isinstance(value, str), f"{namespace}:{option} is not quoted"
        if options is not None:
            assert option in options, f"{option} is not in {namespace} ({source})"
            assert options[option](value), f"{namespace}:{option}={value!r}"


@pytest.mark.parametrize("path", ALL_EBEXTENSIONS, ids=lambda path: path.name)
def test_environment_properties_use_characters_elastic_beanstalk_accepts(
    path: Path,
) -> None:
    for key, value in environment_properties([path]).items():
        assert PROPERTY_KEY.fullmatch(key), key
        function = FUNCTION_VALUE.fullmatch(value)
        literals = (
            list(literal_strings(json.loads(function.group(1))))
            if function
            else [value]
        )
        for literal in literals:
            assert PROPERTY_VALUE.fullmatch(literal), (
                f"{key}: {literal!r} has characters Elastic Beanstalk refuses"
                f" ({ENVIRONMENT_PROPERTIES})"
            )


def test_all_properties_and_a_secret_key_fit_in_elastic_beanstalk() -> None:
    properties = {
        **environment_properties(ALL_EBEXTENSIONS),
        "SECRET_KEY": "k" * 64,
        "DATABASE_URL": "postgresql+psycopg://accounts:" + "p" * 48 + "@" + "h" * 60,
    }

    size = sum(len(f"{key}={value}".encode()) for key, value in properties.items())
    assert size <= PROPERTIES_MAX_BYTES


def test_environment_properties_are_settings_the_site_reads() -> None:
    known = names_the_site_reads()

    for key in environment_properties(ALL_EBEXTENSIONS):
        assert key in known, f"{key} is not read by webapp/settings.py or gunicorn"


def test_no_secret_is_committed() -> None:
    properties = environment_properties(ALL_EBEXTENSIONS)

    for secret in ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "JWT_SECRET_KEY"):
        assert secret not in properties
    assert "DATABASE_URL" not in properties


def test_default_properties_are_valid_settings_behind_a_load_balancer() -> None:
    properties = environment_properties(EBEXTENSIONS)

    settings = load_settings({**properties, "SECRET_KEY": SECRET_KEY})

    assert settings.app_env == "production"
    assert settings.trusted_proxies == 2
    assert settings.session_store == "memory"


def test_load_balancer_checks_healthz_without_stickiness() -> None:
    options = {
        (ns, name): value for ns, name, value in option_settings(EBEXTENSIONS[1])
    }
    process = "aws:elasticbeanstalk:environment:process:default"

    assert options[(process, "HealthCheckPath")] == "/healthz"
    assert options[(process, "StickinessEnabled")] == "false"
    deployment = dict(
        ((ns, name), value) for ns, name, value in option_settings(EBEXTENSIONS[2])
    )
    assert deployment[("aws:elasticbeanstalk:command", "DeploymentPolicy")] == (
        "Immutable"
    )


def test_the_elasticache_file_gives_the_site_a_redis_url() -> None:
    properties = environment_properties(OPTIONAL_EBEXTENSIONS)
    function = FUNCTION_VALUE.fullmatch(properties["REDIS_URL"])
    assert function is not None
    # What Elastic Beanstalk fills in for each GetAtt at deployment.
    endpoint = {
        "PrimaryEndPoint.Address": "master.example.cache.amazonaws.com",
        "PrimaryEndPoint.Port": "6379",
    }
    resolved = "".join(
        part if isinstance(part, str) else endpoint[part["Fn::GetAtt"][1]]
        for part in json.loads(function.group(1))["Fn::Join"][1]
    )
    assert resolved == "rediss://master.example.cache.amazonaws.com:6379/0"

    settings = load_settings(
        {**properties, "REDIS_URL": resolved, "SECRET_KEY": SECRET_KEY}
    )

    assert settings.session_store == "redis"
    assert settings.redis_url is not None
    assert settings.redis_url.startswith("rediss://")


@pytest.mark.parametrize("path", ALL_EBEXTENSIONS, ids=lambda path: path.name)
def test_cfn_lint_passes_on_the_resources(path: Path) -> None:
    config = read_config(path)
    resources = config.get("Resources", {})
    outputs = {}
    for key, value in environment_properties([path]).items():
        function = FUNCTION_VALUE.fullmatch(value)
        if function:
            # As outputs, the functions that fill properties are checked too.
            output = re.sub(r"[^A-Za-z0-9]", "", key)
            outputs[output] = {"Value": json.loads(function.group(1))}
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {**ELASTIC_BEANSTALK_RESOURCES, **resources},
        **({"Outputs": outputs} if outputs else {}),
    }

    matches = lint(json.dumps(template), config=ManualArgs(regions=["us-east-1"]))

    assert [str(match) for match in matches] == []


def test_cfn_lint_has_resources_to_check() -> None:
    assert any("Resources" in read_config(path) for path in ALL_EBEXTENSIONS)


# The guide


def test_the_guide_secret_key_command_makes_a_key_both_accept() -> None:
    line = guide_lines("secrets.token_urlsafe")[0]
    program = re.search(r'python3? -c "([^"]+)"', line)
    assert program is not None

    key = subprocess.run(
        [sys.executable, "-c", program.group(1)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()

    assert PROPERTY_VALUE.fullmatch(key)
    assert load_settings({"SECRET_KEY": key}).secret_key == key


def test_the_guide_database_url_has_an_installed_driver() -> None:
    line = guide_lines("postgresql+psycopg://")[0]
    url = re.search(r"postgresql\+psycopg://\S+", line)
    assert url is not None

    engine = create_engine(url.group(0).strip("`"))

    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_wsgi_path_procfile_and_image_serve_wsgi_application() -> None:
    line = guide_lines("OptionName=WSGIPath")[0]
    wsgi_path = re.search(r"OptionName=WSGIPath,Value=(\S+)", line)
    assert wsgi_path is not None
    _, options = PYTHON_PLATFORM_OPTIONS["aws:elasticbeanstalk:container:python"]
    assert options["WSGIPath"](wsgi_path.group(1))

    module, name = wsgi_path.group(1).split(":")
    tree = ast.parse((ROOT / f"{module}.py").read_text())
    assigned = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert name in assigned
    assert procfile_command()[-1] == wsgi_path.group(1)
    assert image_command()[-1] == wsgi_path.group(1)


# The start-up commands, run for real


def test_the_image_command_starts_the_site(tmp_path: Path) -> None:
    image_env = {
        name: value
        for name, value in dockerfile().envs.items()
        # Paths inside the image; the local virtual environment stands in.
        if name not in ("PATH", "VIRTUAL_ENV")
    }
    # Loopback here, where the image binds every interface of its container.
    env = deploy_env(tmp_path, **{**image_env, "BIND_HOST": "127.0.0.1"})
    env["PORT"] = str(free_port())

    with serving(image_command(), env) as site:
        response = requests.get(f"{site.url}/healthz", timeout=5)

        assert response.status_code == 200
        assert response.text == "ok\n"
        output = site.output()
        assert "Store memory on instance" in output
        assert '"GET /healthz HTTP/1.1" 200' in output
        assert "WARNING" not in output
        assert site.errors() == ""


def test_the_procfile_command_starts_the_site(tmp_path: Path) -> None:
    env = deploy_env(tmp_path)

    with serving(procfile_command(), env) as site:
        assert requests.get(f"{site.url}/healthz", timeout=5).status_code == 200
        assert requests.get(f"{site.url}/login", timeout=5).status_code == 200
        assert f"Listening at: http://127.0.0.1:{env['PORT']}" in site.output()


def test_behind_the_load_balancer_redirects_are_https_and_cookies_secure(
    tmp_path: Path,
) -> None:
    env = deploy_env(tmp_path)
    assert env["TRUSTED_PROXIES"] == "2"
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}

    with serving(procfile_command(), env) as site:
        host = site.url.removeprefix("http://")
        page = f"https://{host}/register"
        form = requests.get(f"{site.url}/register", headers=https, timeout=5)
        assert form.status_code == 200
        assert set_cookies(form)
        assert all(is_secure_host_cookie(cookie) for cookie in set_cookies(form))

        registered = requests.post(
            f"{site.url}/register",
            data={
                **hidden_fields(form.text),
                "username": "alice",
                "password": PASSWORD,
            },
            headers={**https, "Referer": page, "Cookie": cookie_header(form)},
            allow_redirects=False,
            timeout=10,
        )
        assert registered.status_code == 302, registered.text
        assert urljoin(page, registered.headers["Location"]).startswith("https://")
        assert set_cookies(registered)
        assert all(is_secure_host_cookie(c) for c in set_cookies(registered))

        me = requests.get(
            f"{site.url}/api/me",
            headers={**https, "Cookie": cookie_header(form, registered)},
            timeout=5,
        )
        assert me.status_code == 200
        assert me.json()["username"] == "alice"

        profile = requests.get(
            f"{site.url}/profile", headers=https, allow_redirects=False, timeout=5
        )
        assert profile.status_code == 302
        location = urljoin(f"https://{host}/profile", profile.headers["Location"])
        assert location.startswith(f"https://{host}/login")

        plain = requests.get(f"{site.url}/register", timeout=5)
        assert set_cookies(plain)
        assert not any(is_secure_host_cookie(c) for c in set_cookies(plain))


def test_without_trusted_proxies_a_forwarded_scheme_is_ignored(
    tmp_path: Path,
) -> None:
    env = deploy_env(tmp_path, TRUSTED_PROXIES="0")

    with serving(procfile_command(), env) as site:
        form = requests.get(
            f"{site.url}/register",
            headers={"X-Forwarded-Proto": "https"},
            timeout=5,
        )

        assert set_cookies(form)
        assert not any(is_secure_host_cookie(c) for c in set_cookies(form))


@pytest.mark.parametrize(
    ("store", "workers", "warning"),
    [
        ({"SESSION_STORE": "memory"}, "2", "SESSION_STORE=memory with 2 workers"),
        ({"SESSION_STORE": "memory"}, "1", None),
        ({"SESSION_STORE": "cookie"}, "2", None),
        (
            {"SESSION_STORE": "jwt", "JWT_BLOCKLIST": "memory"},
            "2",
            "JWT_BLOCKLIST=memory with 2 workers",
        ),
    ],
    ids=["memory-2", "memory-1", "cookie-2", "jwt-memory-2"],
)
def test_workers_that_would_not_share_logins_are_announced_loudly(
    tmp_path: Path, store: dict[str, str], workers: str, warning: str | None
) -> None:
    env = deploy_env(tmp_path, GUNICORN_WORKERS=workers, **store)

    with serving(procfile_command(), env) as site:
        warnings = [line for line in site.output().splitlines() if "[WARNING]" in line]

    if warning is None:
        assert warnings == []
    else:
        assert len(warnings) == 1
        assert warning in warnings[0]


def test_a_bad_worker_count_stops_start_up_with_one_sentence(tmp_path: Path) -> None:
    env = deploy_env(tmp_path, GUNICORN_WORKERS="two")

    result = subprocess.run(
        procfile_command(),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode != 0
    assert result.stderr.strip() == (
        "Cannot start: GUNICORN_WORKERS='two' is not a whole number of at least 1;"
        " set it to one, or unset it for the default (1)."
    )
