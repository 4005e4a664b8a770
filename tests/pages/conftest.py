"""Hubs for the page tests: one as a fresh install leaves it, one with every page setting used."""

import pytest
from page_checks import PHONE

# a small inline logo, so the page needs no network
LOGO = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='120' height='60'%3E"
    "%3Crect width='120' height='60' rx='8' fill='%23205493'/%3E"
    "%3Ctext x='60' y='38' font-size='22' text-anchor='middle' fill='white'%3EDemo%3C/text%3E%3C/svg%3E"
)

CONFIGURED = f"""
c.HubExtras.community_name = "Demo Research Community"
c.HubExtras.logo_url = "{LOGO}"
c.HubExtras.operated_by = '<a href="https://operators.example.org/">Example Operators</a>'
c.HubExtras.funded_by = "the Open Research Fund"
c.HubExtras.designed_by = "the demo-org hub champions"
c.HubExtras.contact = "the hub champions at hub-help@example.org"
c.HubExtras.announcements = ["Maintenance on Saturday 09:00&ndash;10:00 UTC: save your work."]
c.HubExtras.faq = [
    {{"question": "Who can log in?", "answer": "Members of the <code>demo-org</code> GitHub teams."}},
    {{"question": "Where are the shared files?", "answer": "In <code>~/shared</code>, read-only."}},
    {{"question": "Can I use R & <Python>?", "answer": "Both: pick them when you start your server."}},
]
c.HubExtras.login_interfaces = {{"JupyterLab": "lab", "Notebook": "tree", "RStudio": "rstudio"}}
"""


@pytest.fixture(scope="module")
def plain_hub(hub_factory):
    """A hub with no page settings at all (beyond the harness's community name)."""
    return hub_factory()


@pytest.fixture(scope="module")
def configured_hub(hub_factory):
    """A hub with a logo, credits, an announcement, a FAQ and the interface selector."""
    return hub_factory(pre_config=CONFIGURED)


@pytest.fixture
def phone(browser):
    """A page in a phone-sized window with touch, as on a small Android phone."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
