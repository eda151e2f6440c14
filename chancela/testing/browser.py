"""Playwright (Python) driving Debian's Chromium for browser tests.

Screenshots of the main screens go to ``artifacts/screenshots/`` (named in the README).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from chancela.testing.processes import REPO_ROOT

SCREENSHOT_DIR = REPO_ROOT / "artifacts" / "screenshots"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    candidate = (
        os.environ.get("CHANCELA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    )
    return candidate if Path(candidate).exists() else None


def save_screenshot(page: Any, name: str) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/entrar/")
    page.get_by_label("Usuário").fill(username)
    page.get_by_label("Senha").fill(password)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(f"{base_url}/")


def open_menu(page: Any, label: str) -> None:
    """Follow a header menu entry, opening the "Administração" group (or the phone menu)
    first when the entry lives there."""
    toggle = page.locator(".nav-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false":
        toggle.click()
    nav = page.get_by_role("navigation", name="Menu principal")
    link = nav.get_by_role("link", name=label, exact=True)
    if not link.is_visible():
        nav.locator("details.navgroup > summary").click()
    link.click()
