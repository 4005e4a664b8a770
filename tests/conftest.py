"""Shared fixtures: headless Chromium, and a hub factory that cleans up after itself."""

import asyncio

import pytest


@pytest.fixture(autouse=True)
def park_playwright_loop(request):
    """Playwright's sync API marks its own event loop as running in the main thread for as long as the
    session's browser lives; pytest-asyncio then refuses to run. Park that loop during each non-browser test."""
    if {"page", "browser"} & set(request.fixturenames):
        yield
        return
    parked = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        asyncio._set_running_loop(parked)



@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    from hubextras.testing.browser import launch

    with sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture(scope="module")
def hub_factory(tmp_path_factory):
    """Start hubs for one test module; every hub started here is stopped at the module's end."""
    from hubextras.testing.hub import HubProcess

    hubs = []

    def make(**kwargs):
        hub = HubProcess(tmp_path_factory.mktemp("hub"), **kwargs)
        hubs.append(hub)
        return hub.start()

    yield make
    for hub in hubs:
        hub.stop()


SCREENSHOTS = __import__("pathlib").Path(__file__).resolve().parents[1] / "docs" / "_static" / "screenshots"


@pytest.fixture
def screenshot(page):
    """Save what the person sees into the docs' screenshots (the docs show these very files)."""

    def take(name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take
