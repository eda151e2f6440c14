"""Project-wide pytest setup: media folder per test, browser fixtures, loud skips."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from chancela.testing.browser import CHROMIUM_ARGS, chromium_path

# Clicksign emulator fixtures (clicksign_emulator, emulated_config, clicksign_client) and a
# per-test live server (server_url).
pytest_plugins = ["chancela.testing.clicksign", "chancela.testing.concurrency"]

_loud_skips: list[str] = []


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    # Stored files (originals, signed PDFs) go to a fresh folder per test.
    settings.MEDIA_ROOT = tmp_path / "files"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium driven by Playwright. Required under CI."""
    path = chromium_path()
    if path is None:
        message = "Chromium is not installed (apt-get install chromium): browser tests NOT RUN"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        _loud_skips.append(message)
        pytest.skip(message)
    # Playwright's sync API keeps an event loop in this thread; the ORM calls our tests make
    # around it are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(locale="pt-BR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _loud_skips:
        terminalreporter.write_sep(
            "#", "WARNING: tests NOT RUN on this machine", red=True, bold=True
        )
        for message in sorted(set(_loud_skips)):
            terminalreporter.write_line(f"## {message}", red=True, bold=True)
