"""Shared fixtures: headless Chromium, a hub factory that cleans up after itself, the Kubernetes emulator."""

import asyncio

import pytest

pytest_plugins = ["harness.kube_fixtures"]  # the `kube_api` fixture


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
    from harness.browser import launch
    from playwright.sync_api import sync_playwright

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
    from harness.hub import HubProcess

    hubs = []

    def make(**kwargs):
        hub = HubProcess(tmp_path_factory.mktemp("hub"), **kwargs)
        hubs.append(hub)
        return hub.start()

    yield make
    for hub in hubs:
        hub.stop()


@pytest.fixture
def screenshot(page):
    """`screenshot(name)` saves the page (a temp folder; `./dev screenshots` refreshes the docs' copies)."""
    from harness.browser import save_screenshot

    return lambda name: save_screenshot(page, name)
