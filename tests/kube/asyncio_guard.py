"""Let asyncio tests run after a Playwright (sync API) browser was opened in the same session."""

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
