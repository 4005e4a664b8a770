"""gh-scoped-creds settings and the GitHub App's pulls, pure: which URLs get a token, the JWT, the snippet."""

import jwt
import pytest
from traitlets import TraitError
from traitlets.config import Config

from hubextras.github_push import GitHubApp, app_jwt, configure_github_push, repository_of, with_token


@pytest.fixture(scope="module")
def key_pair():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return private, key.public_key()


def test_servers_get_the_client_id_and_the_apps_page():
    app = GitHubApp(client_id="Iv1.abc", app_url="https://github.com/apps/our-hub")
    assert app.server_environment() == {"GH_SCOPED_CREDS_CLIENT_ID": "Iv1.abc",
                                        "GH_SCOPED_CREDS_APP_URL": "https://github.com/apps/our-hub"}


def test_without_a_client_id_servers_get_nothing():
    assert GitHubApp(app_url="https://github.com/apps/our-hub").server_environment() == {}


def test_the_app_jwt_is_what_github_accepts(key_pair):
    claims = jwt.decode(app_jwt(123, key_pair[0], now=1_000_000), key_pair[1], algorithms=["RS256"],
                        options={"verify_exp": False})
    assert claims == {"iat": 999_940, "exp": 1_000_540, "iss": "123"}
    assert claims["exp"] - claims["iat"] <= 600


@pytest.mark.parametrize("url, expected", [
    ("https://github.com/demo-org/course.git", ("demo-org", "course")),
    ("https://github.com/demo-org/course", ("demo-org", "course")),
    ("https://GitHub.com/demo-org/course/", ("demo-org", "course")),
])
def test_repositories_on_github_get_a_token(url, expected):
    assert repository_of(url, "https://github.com") == expected


@pytest.mark.parametrize("url", [
    "https://github.com.evil.example/demo-org/course.git",  # another host that starts like GitHub
    "http://github.com/demo-org/course.git",  # not https: the token would travel in clear
    "https://me:secret@github.com/demo-org/course.git",  # the URL brings its own credentials
    "https://github.com/demo-org/course/tree/main",
    "https://github.com/demo-org",
    "https://gitlab.com/demo-org/course.git",
])
def test_anything_else_gets_no_token(url):
    assert repository_of(url, "https://github.com") is None


def test_the_token_is_the_password_of_x_access_token():
    assert with_token("https://github.com/o/r.git", "ghs_a/b") == "https://x-access-token:ghs_a%2Fb@github.com/o/r.git"


def test_a_github_url_that_is_not_http_is_refused():
    with pytest.raises(TraitError, match="not an http"):
        GitHubApp(github_url="git@github.com")


def test_the_snippet_gives_every_server_the_settings_and_keeps_other_variables():
    c = Config()
    c.Spawner.environment = {"TZ": "UTC"}
    c.GitHubApp.client_id = "Iv1.abc"
    configure_github_push(c)
    assert c.Spawner.environment == {"TZ": "UTC", "GH_SCOPED_CREDS_CLIENT_ID": "Iv1.abc"}


def test_an_app_id_without_a_readable_key_stops_the_hub(tmp_path):
    c = Config()
    c.GitHubApp.app_id = 5
    c.GitHubApp.private_key_file = str(tmp_path / "missing.pem")
    with pytest.raises(SystemExit, match="cannot be read"):
        configure_github_push(c)


def test_the_app_key_goes_to_the_shared_data_service_only(tmp_path):
    import json

    key = tmp_path / "app.pem"
    key.write_text("key")
    c = Config()
    c.JupyterHub.services = [{"name": "shared-data", "environment": {"A": "1"}}, {"name": "servers-panel"}]
    c.GitHubApp.app_id, c.GitHubApp.private_key_file = 5, str(key)
    configure_github_push(c)
    shared, panel = c.JupyterHub.services
    assert json.loads(shared["environment"]["HUBEXTRAS_GITHUB_APP"])["private_key_file"] == str(key)
    assert "environment" not in panel and "environment" not in c.Spawner


def test_every_setting_says_what_it_is_for():
    assert [n for n, t in GitHubApp.class_own_traits(config=True).items() if not (t.help or "").strip()] == []
