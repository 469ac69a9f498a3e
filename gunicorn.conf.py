"""Gunicorn's settings wherever the site is served: Docker, a Procfile, by hand.

Every number comes from the environment, so an Elastic Beanstalk environment
property retunes an instance without a new image:

- ``PORT`` (8000) and ``BIND_HOST`` (127.0.0.1; the Docker image sets 0.0.0.0);
- ``GUNICORN_WORKERS``: worker processes (1);
- ``GUNICORN_THREADS``: threads in each worker (4).

The access log, the error log and the site's own log all go to stdout, where
Docker and Elastic Beanstalk collect them.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from webapp.settings import SettingsError, load_settings


def whole_number(name: str, default: int) -> int:
    """Read the environment variable ``name`` as a count of at least one."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if raw.isdigit() and int(raw) >= 1:
        return int(raw)
    sys.exit(
        f"Cannot start: {name}={raw!r} is not a whole number of at least 1;"
        f" set it to one, or unset it for the default ({default})."
    )


bind = [f"{os.environ.get('BIND_HOST', '127.0.0.1')}:{whole_number('PORT', 8000)}"]
workers = whole_number("GUNICORN_WORKERS", 1)
threads = whole_number("GUNICORN_THREADS", 4)

# Docker stops a container with SIGKILL ten seconds after SIGTERM; finish the
# requests in flight before that.
graceful_timeout = 8

# Which proxy hops to believe is the site's decision (TRUSTED_PROXIES, through
# ProxyFix), not gunicorn's: by default gunicorn would also take
# X-Forwarded-Proto from any client on 127.0.0.1.
forwarded_allow_ips = ""

# Nobody runs gunicornc on an instance, and the image's user has no writable
# home for the socket.
control_socket_disable = True

accesslog = "-"
logconfig_dict = {
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        name: {"level": "INFO", "handlers": ["console"], "propagate": False}
        for name in ("gunicorn.error", "gunicorn.access")
    },
}


def on_starting(server: Any) -> None:
    """Refuse bad settings once, and warn when workers would not share logins."""
    try:
        settings = load_settings()
    except SettingsError as error:
        # Stop here, once, rather than start workers that each fail the same way.
        sys.exit(f"Cannot start: {error}")

    count = server.cfg.workers
    if count < 2:
        return
    if settings.session_store == "memory":
        server.log.warning(
            "SESSION_STORE=memory with %d workers: each worker keeps its own"
            " logins, so users will flicker between logged in and logged out"
            " as their requests land on different workers. Set GUNICORN_WORKERS=1"
            " or choose a shared store (redis, cookie or jwt).",
            count,
        )
    elif settings.session_store == "jwt" and settings.jwt_blocklist == "memory":
        server.log.warning(
            "JWT_BLOCKLIST=memory with %d workers: a logout is only known to the"
            " worker that served it, so the other workers still accept the"
            " logged-out token. Set GUNICORN_WORKERS=1 or JWT_BLOCKLIST=redis.",
            count,
        )
