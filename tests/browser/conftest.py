"""Browser tests: the whole service on a loopback port, driven by Playwright through Debian's
Chromium (headless), with a real SMTP server catching the portal's e-mail.

Browsers are never downloaded: the tests use ``/usr/bin/chromium`` (``.ci/run`` installs it) and
skip when it or Playwright is missing, except in CI, where that fails them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer, SmtpServer, free_port, require, running_server

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture
def portal_server(
    tmp_path: Path, pg_admin_url: str, template_database: str, smtp_server: SmtpServer
) -> Iterator[LiveServer]:
    with running_server(
        tmp_path / "server",
        pg_admin_url,
        template_database,
        port=free_port(),
        smtp_url=smtp_server.url,
    ) as server:
        yield server


@contextlib.contextmanager
def launched_chromium() -> Iterator[Any]:
    """Chromium through Playwright. Start it after the test's servers: while Playwright's
    synchronous API is alive its event loop counts as running in this thread, which
    asyncio.run and async tests refuse."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    require(sync_playwright is not None, "Playwright for Python is not installed")
    require(Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM}")
    assert sync_playwright is not None
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def browser(portal_server: LiveServer) -> Iterator[Any]:
    # Function-scoped, and after the server (see launched_chromium).
    with launched_chromium() as launched:
        yield launched


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """Opens pages in fresh browser contexts (each its own cookies), closed after the test."""
    contexts: list[Any] = []

    def open_page(locale: str = "en-US") -> Any:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale=locale, accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    """Keeps a full-page picture of the page as a test artefact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def send_form(page: Any, action: str, fields: dict[str, str]) -> None:
    """Sends a form from the page as a browser resending one does: the fields as given, the
    page's CSRF token unless given."""
    page.evaluate(
        """([action, fields]) => {
        const form = document.createElement("form");
        form.method = "post";
        form.action = action;
        const token = document.querySelector("input[name=csrf_token]").value;
        for (const [name, value] of Object.entries({csrf_token: token, ...fields})) {
            const input = document.createElement("input");
            input.type = "hidden"; input.name = name; input.value = value;
            form.append(input);
        }
        document.body.append(form);
        form.submit();
    }""",
        [action, fields],
    )
