"""The documented Google sign-in snippet: the hub starts with it and the rest of hubextras is unchanged."""

from urllib.parse import parse_qs, urlparse

import pytest

from hubextras.config import config_d_path

GOOGLE_SNIPPET = config_d_path() / "alternatives" / "05-google-signin.py"


@pytest.fixture(scope="module")
def hub(hub_factory):
    return hub_factory(
        pre_config=f"exec(open({str(GOOGLE_SNIPPET)!r}).read())",
        env={"GOOGLE_CLIENT_ID": "demo-id", "GOOGLE_CLIENT_SECRET": "demo-secret",
             "HUBEXTRAS_GOOGLE_DOMAIN": "example.org", "HUBEXTRAS_GOOGLE_USERS": "ana@example.org"},
    )


def test_login_page_offers_google_sign_in(hub):
    import requests

    page = requests.get(f"{hub.url}/hub/login", timeout=30).text
    assert "Log in to continue" in page and "Google" in page


def test_sign_in_goes_to_google_with_the_configured_client(hub):
    import requests

    r = requests.get(f"{hub.url}/hub/oauth_login", allow_redirects=False, timeout=30)
    target = urlparse(r.headers["Location"])
    assert target.netloc == "accounts.google.com"
    assert parse_qs(target.query)["client_id"] == ["demo-id"]


def test_champions_role_is_still_granted_to_the_champions_group(hub):
    group = hub.api("GET", "/groups/demo-org:hub-champions")
    assert group.status_code == 200, group.text
    assert "hubextras-champions" in group.json()["roles"]
