"""Which instance is answering: host, process and an id minted at start-up."""

from __future__ import annotations

import os
import secrets
import socket


def describe_instance(name: str = "") -> dict[str, str]:
    """Return this process's host, pid and an id: ``name``, or a random one."""
    return {
        "id": name or secrets.token_hex(4),
        "host": socket.gethostname(),
        "pid": str(os.getpid()),
    }
