"""Browser fixtures: one live CoopChain server with the demo data, one headless Chromium.

The server runs the real app (CSRF on, sessions, templates) on an ephemeral port in a daemon
thread; each test gets its own browser context, so cookies and language never leak between
tests. Chromium is Debian's (/usr/bin/chromium), never a Playwright download.
"""

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
DEMO_PASSWORD = "demo"  # the public demo password (coopchain.demo)
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
TIMEOUT_MS = 10_000  # a local server answers in milliseconds; fail fast instead of hanging


def _require_chromium() -> None:
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI") == "true":
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}, but CI must run the browser tests: "
            "add `apt-get install -y chromium` to the CI image.",
            pytrace=False,
        )
    pytest.skip(f"Chromium not installed at {CHROMIUM}: apt-get install chromium")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[str]:
    """Base URL of a running app on a fresh, migrated SQLite file with the demo data."""
    _require_chromium()  # no browser, no point starting a server
    from alembic import command
    from werkzeug.serving import make_server

    from coopchain import create_app
    from coopchain.cli import alembic_config
    from coopchain.db import session_scope
    from coopchain.demo import load_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'coopchain.sqlite'}"
    command.upgrade(alembic_config(url), "head")
    app = create_app({"COOPCHAIN_ENV": "test", "DATABASE_URL": url, "RATELIMIT_ENABLED": False})
    with app.app_context(), session_scope(app) as session:
        load_demo(session, DEMO_PASSWORD)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def dialogs() -> list[str]:
    """Every alert/confirm/prompt any page of the test opened (each is dismissed)."""
    return []


@pytest.fixture
def new_page(browser, live_server, dialogs):
    """Factory for pages in fresh contexts (own cookies); pass viewport=... for a phone.

    Each page records its dialogs from the start, before the first navigation.
    """
    contexts = []

    def record(dialog):
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def make(**context_options):
        context = browser.new_context(base_url=live_server, **context_options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", record)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A desktop-sized page in a fresh context."""
    return new_page(viewport={"width": 1280, "height": 900})


@pytest.fixture(scope="session")
def results_dir() -> Path:
    """test-results/ at the project root (gitignored) for screenshots."""
    RESULTS_DIR.mkdir(exist_ok=True)
    return RESULTS_DIR


@pytest.fixture
def log_in():
    """log_in(page, email=...) logs in through the form and waits for the dashboard."""

    def log_in(page, email: str = "staff@demo.coop", password: str = DEMO_PASSWORD):
        page.goto("/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert urlparse(page.url).path == "/", f"login did not reach the dashboard: {page.url}"
        return page

    return log_in


@pytest.fixture
def staff_page(page, log_in):
    """A desktop page logged in as staff@demo.coop (COOPAM, the first membership)."""
    return log_in(page)


@pytest.fixture
def quality_page(new_page, log_in):
    """A tablet-sized page (the cupping lab scores on tablets) logged in as quality@demo.coop."""
    page = new_page(viewport={"width": 800, "height": 1280}, has_touch=True)
    return log_in(page, "quality@demo.coop")


@pytest.fixture
def admin_page(page, log_in):
    """A desktop page logged in as admin@demo.coop (may override blocking findings)."""
    return log_in(page, "admin@demo.coop")
