"""The system Chromium, driven headless through Playwright's Python API (never a downloaded browser).

conftest.py registers the fixtures for every test module. `scripts/bootstrap.sh` installs
Debian's `chromium`; ECOSIM_CHROMIUM names another binary.
Pages record their console errors and uncaught exceptions in `page.errors`, so a test can
assert that a page loaded cleanly.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parent / "output" / "screenshots"


def chromium_path() -> str:
    """The Chromium binary: ECOSIM_CHROMIUM, else `chromium` on PATH, else a clear failure."""
    found = os.environ.get("ECOSIM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("no Chromium: `apt-get install chromium` (scripts/bootstrap.sh does it) or set ECOSIM_CHROMIUM")
    return found


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One headless Chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=FLAGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser) -> Iterator:
    """A fresh page (its own context) that collects console errors and page errors in `page.errors`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.errors = []
    opened.on("console", lambda message: opened.errors.append(message.text) if message.type == "error" else None)
    opened.on("pageerror", lambda error: opened.errors.append(str(error)))
    yield opened
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under tests/output/screenshots/ and return its path."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
