"""Headless Debian Chromium driven by Playwright: pages are loaded as a user would, with every request that leaves
the machine refused (an offline page must not need one) and every console error collected for the test to check."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# As the browser starts on a closed network: no background fetches, no first-run or component updates.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", ""}

pytestmark = pytest.mark.slow


@dataclass
class Visit:
    """A page and what it did: console errors, uncaught exceptions, and the requests refused for leaving the machine."""

    page: object
    errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(f"browser tests need Debian's Chromium at {CHROMIUM}: `make test` installs it "
                    "(apt-get install chromium)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def visit(browser) -> Iterator[Visit]:
    """A fresh 1280x800 page (laptop width) in its own context."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    seen = Visit(page)

    def route(request_route) -> None:
        url = request_route.request.url
        parsed = urlparse(url)
        if parsed.scheme in ("file", "data", "blob", "about") or parsed.hostname in LOCAL_HOSTS:
            request_route.continue_()
        else:
            seen.refused.append(url)
            request_route.abort()

    context.route("**/*", route)
    page.on("console", lambda message: seen.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    yield seen
    context.close()
