"""A real Chromium registers, logs in, inspects and logs out, in every store."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import store_env
from webapp.demo.processes import Instance

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NO_BROWSER = (
    "No Chromium for the browser tests. Run `make browser` (it installs Debian's"
    " chromium as root, or Playwright's own build otherwise), or set CHROMIUM_PATH"
    " to a Chromium or Chrome binary."
)


def chromium_path() -> str | None:
    """Find a Chromium: CHROMIUM_PATH, one on PATH, or None for Playwright's own."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Launch one headless Chromium for the module; fail, never skip, without one."""
    with sync_playwright() as playwright:
        executable = chromium_path()
        if (
            executable is None
            and not Path(playwright.chromium.executable_path).exists()
        ):
            pytest.fail(NO_BROWSER)
        launched = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


@pytest.fixture
def site(store_name: str, redis_url: str, tmp_path: Path) -> Iterator[str]:
    """Serve the site for the current store from a real gunicorn instance."""
    env = store_env(store_name, redis_url, tmp_path)
    with Instance(f"browser-{store_name}", env) as instance:
        yield instance.url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """Open a fresh browser context: its own cookie jar."""
    context = browser.new_context()
    opened = context.new_page()
    yield opened
    context.close()


def fill_and_submit(page: Page, username: str, password: str) -> None:
    """Fill the username and password fields and press the form's button."""
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()


def test_browser_register_log_in_inspect_log_out(
    page: Page, site: str, store_name: str
) -> None:
    page.goto(f"{site}/register")
    fill_and_submit(page, "alice", "correct horse")
    expect(page.locator("h1")).to_have_text("Hello, alice")

    page.get_by_role("button", name="Log out").click()
    expect(page.locator("h1")).to_have_text("You are logged out")

    page.goto(f"{site}/profile")
    expect(page).to_have_url(f"{site}/login?next=/profile")
    fill_and_submit(page, "alice", "correct horse")
    expect(page).to_have_url(f"{site}/profile")
    expect(page.locator("h1")).to_have_text("alice")

    page.goto(f"{site}/session")
    inspector = page.locator("main")
    expect(inspector).to_contain_text(store_name.split("-")[0])
    expect(inspector).to_contain_text("bytes")
    cookie_names = {cookie["name"] for cookie in page.context.cookies()}
    for name in cookie_names:
        expect(inspector).to_contain_text(name)
    assert all(cookie["httpOnly"] for cookie in page.context.cookies())

    page.get_by_role("button", name="Log out").click()
    expect(page.locator("h1")).to_have_text("You are logged out")
    page.goto(f"{site}/profile")
    expect(page).to_have_url(f"{site}/login?next=/profile")


def test_browser_wrong_password_shows_an_error(page: Page, site: str) -> None:
    page.goto(f"{site}/register")
    fill_and_submit(page, "bob", "correct horse")
    page.get_by_role("button", name="Log out").click()

    page.goto(f"{site}/login")
    fill_and_submit(page, "bob", "not the password")

    expect(page.locator("main")).to_contain_text("Wrong username or password")
    expect(page).to_have_url(f"{site}/login")
