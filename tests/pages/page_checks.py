"""What the page tests check on every page: accessibility (axe-core), phone widths, docs screenshots."""

from harness.browser import save_screenshot, serious_accessibility_violations  # noqa: F401  (page tests import them here)

PHONE = {"width": 375, "height": 740}


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0: nothing to scroll sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def open_login(page, hub, query: str = "") -> None:
    """The hub's login page, with `query` (for example `?next=...`)."""
    page.goto(f"{hub.url}/hub/login{query}")
    page.locator("#login-button").wait_for()
