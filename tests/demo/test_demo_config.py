"""The demo hub's config (hubextras/demo/config.py) and its sign-in table (people.py)."""

from pathlib import Path

from traitlets.config import Config

from hubextras.demo.config import COMMUNITY_NAME, DemoSettings, config_text
from hubextras.demo.people import PEOPLE, sign_in_table
from hubextras.testing.github import load_community

SETTINGS = DemoSettings(
    state=Path("/srv/demo"), port=8000, hub_port=8081, proxy_api_port=8001,
    proxy_command=["configurable-http-proxy"], github_url="http://127.0.0.1:8765",
)


def run_config(text: str, monkeypatch) -> Config:
    c = Config()
    ran = []
    monkeypatch.setattr("hubextras.config.load_config_d", lambda config: ran.append(config))
    exec(compile(text, "jupyterhub_config.py", "exec"), {"get_config": lambda: c})
    assert ran == [c], "the config ends by loading the bundled snippets"
    return c


def test_the_demo_has_its_own_community_name(monkeypatch):
    c = run_config(config_text(SETTINGS), monkeypatch)

    assert c.HubExtras.community_name == COMMUNITY_NAME
    assert "test" not in COMMUNITY_NAME.lower()


def test_the_config_holds_no_service_token_and_no_services(monkeypatch):
    text = config_text(SETTINGS)
    c = run_config(text, monkeypatch)

    assert "api_token" not in text and "services" not in c.JupyterHub
    assert "load_roles" not in c.JupyterHub


def test_state_goes_under_the_state_folder(monkeypatch):
    c = run_config(config_text(SETTINGS), monkeypatch)

    assert c.JupyterHub.db_url == "sqlite:////srv/demo/hub/jupyterhub.sqlite"
    assert c.JupyterHub.cookie_secret_file == "/srv/demo/hub/jupyterhub_cookie_secret"
    assert c.HubExtras.shared_dir == "/srv/demo/shared"
    assert c.SimpleLocalProcessSpawner.home_dir_template == "/srv/demo/home/{username}"


def test_the_spawner_is_left_to_the_bundled_default(monkeypatch):
    c = run_config(config_text(SETTINGS), monkeypatch)

    assert "spawner_class" not in c.JupyterHub  # the profiles snippet picks profiles-local


def test_the_sign_in_table_names_everyone_of_the_demo_community():
    community = load_community(None)
    table = sign_in_table()

    for person in PEOPLE:
        assert community.user(person.login) is not None
        assert f"  {person.login} " in table


def test_against_github_com_the_client_id_and_secret_come_from_the_environment(monkeypatch):
    settings = DemoSettings(state=Path("/srv/demo"), port=8000, hub_port=8081, proxy_api_port=8001,
                            proxy_command=["configurable-http-proxy"], github_url=None,
                            allowed_teams=("my-org:my-team",), admin_teams=(), champions_team="")
    c = run_config(config_text(settings), monkeypatch)

    assert "github_url" not in c.GitHubOAuthenticator and "client_id" not in c.GitHubOAuthenticator
    assert c.GitHubTeamsAuthenticator.allowed_teams == {"my-org:my-team"}
