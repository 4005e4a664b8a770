"""What the page tests check on every page: accessibility (axe-core), phone widths, docs screenshots."""

from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "_static" / "screenshots"
PHONE = {"width": 375, "height": 740}


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
