"""The cookie rules every store gets, applied once, at the WSGI boundary.

Stores and extensions set cookies in their own ways (Flask's session,
Flask-Session, flask-jwt-extended). Rather than teach each one, this
middleware sees every ``Set-Cookie`` header on its way out:

- every cookie is HttpOnly and SameSite=Lax, and so is every deletion;
- over HTTPS (also when TLS ended at a trusted load balancer, once ProxyFix
  has run), each cookie gets ``Secure`` and the ``__Host-`` prefix, which a
  browser only accepts from a secure origin, with ``Path=/`` and no
  ``Domain``; on the way in, only ``__Host-`` cookies are read, so a cookie
  planted over plain HTTP or by a sibling domain is ignored;
- no cookie larger than a browser keeps is ever sent: the response becomes a
  500 that says so, rather than a login the browser silently drops.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

HOST_PREFIX = "__Host-"
#: Browsers keep at most 4096 bytes of a cookie; keep a margin for the prefix.
MAX_COOKIE_BYTES = 4093

logger = logging.getLogger(__name__)

StartResponse = Callable[..., Any]


def is_https(environ: dict[str, Any]) -> bool:
    """Say whether the request reached the site over HTTPS."""
    return environ.get("wsgi.url_scheme") == "https"


def apply_cookie_policy(value: str, https: bool) -> str:
    """Give a ``Set-Cookie`` value the attributes every cookie of the site has.

    Every cookie is HttpOnly and SameSite=Lax, deletions included, so that a
    browser matches a deletion to the cookie it deletes. Over HTTPS it also
    becomes Secure and takes the ``__Host-`` prefix.
    """
    names = {part.strip().split("=")[0].lower() for part in value.split(";")[1:]}
    if "httponly" not in names:
        value += "; HttpOnly"
    if "samesite" not in names:
        value += "; SameSite=Lax"
    if not https:
        return value
    if "secure" not in names:
        value += "; Secure"
    return value if value.startswith(HOST_PREFIX) else HOST_PREFIX + value


def host_cookies_only(header: str) -> str:
    """Keep only ``__Host-`` cookies of a ``Cookie`` header, without the prefix."""
    kept = []
    for pair in header.split(";"):
        pair = pair.strip()
        if pair.startswith(HOST_PREFIX):
            kept.append(pair[len(HOST_PREFIX) :])
    return "; ".join(kept)


class CookiePolicy:
    """WSGI middleware that applies the cookie rules to every response."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        """Filter the request's cookies and rewrite the response's."""
        https = is_https(environ)
        if https and "HTTP_COOKIE" in environ:
            environ["HTTP_COOKIE"] = host_cookies_only(environ["HTTP_COOKIE"])
        oversized: list[str] = []

        def start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            rewritten = []
            for name, value in headers:
                if name.lower() == "set-cookie":
                    value = apply_cookie_policy(value, https)
                    if len(value.encode()) > MAX_COOKIE_BYTES:
                        oversized.append(value)
                rewritten.append((name, value))
            if oversized:
                return start_response(
                    "500 Internal Server Error", REFUSAL_HEADERS, *args
                )
            return start_response(status, rewritten, *args)

        body = self.app(environ, start)
        if not oversized:
            return body

        if hasattr(body, "close"):
            body.close()
        cookie = oversized[0]
        logger.error(
            "Refused to send cookie %s of %d bytes (browsers keep at most %d)",
            cookie.split("=", 1)[0],
            len(cookie.encode()),
            MAX_COOKIE_BYTES,
        )
        return [REFUSAL_BODY]


REFUSAL_BODY = (
    b"This page would have set a cookie larger than browsers keep, so it was"
    b" not sent. Nothing was saved in your browser.\n"
)
REFUSAL_HEADERS = [
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Length", str(len(REFUSAL_BODY))),
    ("Cache-Control", "no-store"),
]
