"""What the page tests check on every page: accessibility (axe-core), phone widths, docs screenshots."""

from pathlib import Path

from hubextras.testing.browser import serious_accessibility_violations  # noqa: F401  (the page tests import it from here)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "_static" / "screenshots"
PHONE = {"width": 375, "height": 740}


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0: nothing to scroll sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def save_screenshot(page, name: str) -> None:
    """Save what the person sees into the docs' screenshots (the docs show these very files)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def open_login(page, hub, query: str = "") -> None:
    """The hub's login page, with `query` (for example `?next=...`)."""
    page.goto(f"{hub.url}/hub/login{query}")
    page.locator("#login-button").wait_for()
