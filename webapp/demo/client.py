"""A visitor that uses the site as a browser does: HTML forms, CSRF, cookies."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import requests


class HiddenFields(HTMLParser):
    """Collect the hidden inputs of the first form that posts to ``action``."""

    def __init__(self, action: str | None) -> None:
        super().__init__()
        self.action = action
        self.in_form = False
        self.done = False
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form" and not self.done:
            action = found.get("action") or ""
            self.in_form = self.action is None or action == self.action
        elif tag == "input" and self.in_form and found.get("type") == "hidden":
            self.fields[found.get("name") or ""] = found.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.in_form:
            self.in_form = False
            self.done = True


def hidden_fields(html: str, action: str | None = None) -> dict[str, str]:
    """Return the hidden fields (CSRF tokens) of the form posting to ``action``.

    With no ``action``, the first form on the page.
    """
    parser = HiddenFields(action)
    parser.feed(html)
    return parser.fields


class Visitor:
    """One browser: a cookie jar that registers, logs in and out over HTTP."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.http = requests.Session()
        # gunicorn stops gracefully only once idle keep-alive connections time
        # out; in production the load balancer, not the browser, holds those.
        self.http.headers["Connection"] = "close"
        self.timeout = timeout

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        """GET ``url`` with this visitor's cookies, without following redirects."""
        return self.http.get(url, timeout=self.timeout, allow_redirects=False, **kwargs)

    def submit(
        self, url: str, form_url: str, action: str | None, **data: Any
    ) -> requests.Response:
        """Load ``form_url``, then post ``data`` with its hidden fields to ``url``."""
        page = self.get(form_url)
        fields = {**hidden_fields(page.text, action), **data}
        return self.http.post(
            url, data=fields, timeout=self.timeout, allow_redirects=False
        )

    def register(self, base: str, username: str, password: str) -> requests.Response:
        """Create an account through the registration form."""
        return self.submit(
            f"{base}/register",
            f"{base}/register",
            None,
            username=username,
            password=password,
        )

    def log_in(self, base: str, username: str, password: str) -> requests.Response:
        """Log in through the login form."""
        return self.submit(
            f"{base}/login", f"{base}/login", None, username=username, password=password
        )

    def log_out(self, base: str) -> requests.Response:
        """Log out through the form every page carries."""
        return self.submit(f"{base}/logout", f"{base}/", "/logout")

    def me(self, base: str) -> requests.Response:
        """Ask /api/me who this visitor is."""
        return self.get(f"{base}/api/me")

    def cookies(self) -> dict[str, str]:
        """Return a copy of the cookies this visitor holds."""
        return {cookie.name: cookie.value or "" for cookie in self.http.cookies}

    def replace_cookies(self, cookies: dict[str, str]) -> None:
        """Forget every cookie and hold ``cookies`` instead."""
        self.http.cookies.clear()
        for name, value in cookies.items():
            self.http.cookies.set(name, value)
