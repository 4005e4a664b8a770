"""Headless Chromium (Debian's, never a downloaded build) driven by Playwright, for tests and screenshots."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

CHROMIUM = os.environ.get("HUBEXTRAS_CHROMIUM", "/usr/bin/chromium")
# without the background-networking flags Chromium keeps calling hosts this machine cannot reach
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not path:
        raise RuntimeError(
            f"Chromium not found at {CHROMIUM}. Install Debian's `chromium` package "
            "(`apt-get install chromium`, which `./dev test` does when run as root)."
        )
    return path


def launch(playwright):
    """A headless Chromium browser from a started `sync_playwright()`."""
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)


def sign_in(page, hub, username: str, *, start: str = "/hub/login") -> None:
    """Sign in as a person would: the hub's login page, then the stand-in's authorize page."""
    page.goto(f"{hub.url}{start}")
    page.get_by_role("button", name="Log in to continue").click()
    page.get_by_role("button", name=f"Authorize as {username}").click()
    page.wait_for_url(f"{hub.url}/**")


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def serious_accessibility_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as shown, one readable line each."""
    if not AXE.exists():
        raise RuntimeError(f"axe-core is missing at {AXE}: run `npm install` in the repository")
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    if not results["passes"]:
        raise RuntimeError(f"axe-core checked nothing on {page.url}: is the page empty?")
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def screenshots_dir() -> Path:
    """Where tests save what a person sees: a temp folder of this run, or the folder `HUBEXTRAS_SCREENSHOTS`
    names (`./dev screenshots` points it at docs/_static/screenshots, so the docs' copies change on purpose only)."""
    global _screenshots
    if _screenshots is None:
        chosen = os.environ.get("HUBEXTRAS_SCREENSHOTS")
        _screenshots = Path(chosen) if chosen else Path(tempfile.mkdtemp(prefix="hubextras-screenshots-"))
    _screenshots.mkdir(parents=True, exist_ok=True)
    return _screenshots


_screenshots: Path | None = None


def save_screenshot(page, name: str) -> Path:
    """Save the whole page as `<name>.png` in `screenshots_dir()`."""
    path = screenshots_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
