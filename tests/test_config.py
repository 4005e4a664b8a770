"""The snippet loader, the shared settings, and where our data files are found."""

import copy
import sys

import pytest
from traitlets.config import Config

import hubextras.config as hx_config
from hubextras.config import HubExtras, add_role, add_service, load_config_d


def fresh_config():
    c = Config()
    c.HubExtras.champions_team = "Demo-Org:Hub-Champions"
    c.HubExtras.shared_dir = "/tmp/hubextras-shared"
    return c


@pytest.fixture(autouse=True)
def crypt_key(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_CRYPT_KEY", "00" * 32)


def test_snippets_run_in_sorted_order(tmp_path):
    record = "c.Test.order = (c.Test.order if 'order' in c.Test else []) + [__file__.rsplit('/', 1)[-1]]\n"
    for name in ["20-b.py", "10-a.py", "30-c.py", "notes.txt"]:
        (tmp_path / name).write_text(record)
    c = Config()
    ran = load_config_d(c, tmp_path)
    assert [p.rsplit("/", 1)[-1] for p in ran] == ["10-a.py", "20-b.py", "30-c.py"]
    assert c.Test.order == ["10-a.py", "20-b.py", "30-c.py"]


def test_bundled_snippets_are_idempotent():
    once = fresh_config()
    load_config_d(once)
    twice = copy.deepcopy(once)
    load_config_d(twice)
    assert twice == once


def test_bundled_snippets_admit_champions_and_grant_their_role():
    c = fresh_config()
    load_config_d(c)
    assert c.JupyterHub.authenticator_class == "github-teams"
    assert "demo-org:hub-champions" in c.GitHubTeamsAuthenticator.allowed_teams
    role = next(r for r in c.JupyterHub.load_roles if r["name"] == "hubextras-champions")
    assert role["groups"] == ["demo-org:hub-champions"]


def test_operator_choice_of_authenticator_is_kept():
    c = fresh_config()
    c.JupyterHub.authenticator_class = "dummy"
    load_config_d(c)
    assert c.JupyterHub.authenticator_class == "dummy"


def test_missing_crypt_key_stops_with_a_clear_message(monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_CRYPT_KEY")
    with pytest.raises(SystemExit, match="set JUPYTERHUB_CRYPT_KEY"):
        load_config_d(fresh_config())


def test_add_role_merges_without_duplicates():
    c = Config()
    add_role(c, "r", scopes=["a"], groups=["g"])
    add_role(c, "r", scopes=["a", "b"], groups=["g"])
    assert c.JupyterHub.load_roles == [{"name": "r", "description": "", "scopes": ["a", "b"], "groups": ["g"]}]


def test_add_service_replaces_by_name():
    c = Config()
    add_service(c, {"name": "s", "url": "http://127.0.0.1:1"})
    add_service(c, {"name": "s", "url": "http://127.0.0.1:2"})
    assert c.JupyterHub.services == [{"name": "s", "url": "http://127.0.0.1:2"}]


def test_champions_team_is_case_folded_and_checked():
    assert HubExtras(champions_team="Org:Team").champions_team == "org:team"
    with pytest.raises(ValueError, match="org:team-slug"):
        HubExtras(champions_team="org:")


def test_data_files_are_found_when_installed(tmp_path, monkeypatch):
    monkeypatch.setattr(hx_config, "PACKAGE_DIR", tmp_path / "site-packages" / "hubextras")
    installed = tmp_path / "prefix" / "share" / "hubextras" / "templates"
    installed.mkdir(parents=True)
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    assert hx_config.templates_path() == installed


def test_missing_data_files_say_how_to_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(hx_config, "PACKAGE_DIR", tmp_path / "nowhere" / "hubextras")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    with pytest.raises(FileNotFoundError, match="Reinstall hubextras"):
        hx_config.config_d_path()



# --- the services' snippets call these ------------------------------------------------------------------------


@pytest.mark.parametrize("section, setting", [("ServersPanel", "url"), ("SharedDataService", "quota")])
def test_an_unknown_service_setting_stops_the_hub_naming_it_and_the_valid_ones(section, setting):
    c = fresh_config()
    c[section][setting] = "http://10.0.0.5:10102"
    with pytest.raises(SystemExit) as stopped:
        load_config_d(c)
    message = str(stopped.value)
    assert f"c.{section}.{setting} is not a setting" in message
    assert "service_url" in message and "Its settings are:" in message


def test_the_servers_panel_listens_where_service_url_says():
    c = fresh_config()
    c.ServersPanel.service_url = "http://10.0.0.5:10102"
    load_config_d(c)
    (panel,) = [s for s in c.JupyterHub.services if s["name"] == "servers-panel"]
    assert panel["url"] == "http://10.0.0.5:10102"


class HubWithoutExtraUserScopes:
    """What `JupyterHub` offers on 5.x: no `extra_user_scopes`."""

    @staticmethod
    def class_trait_names():
        return ["load_roles", "services"]


def test_on_a_hub_with_extra_user_scopes_every_user_gets_read_access_through_it():
    c = Config()
    hx_config.grant_every_user(c, ["access:services!service=shared-data"])
    if hx_config.hub_has_extra_user_scopes():
        assert c.JupyterHub.extra_user_scopes == ["access:services!service=shared-data"]
    else:
        assert "extra_user_scopes" not in c.JupyterHub


def test_on_jupyterhub_5_every_user_gets_read_access_through_the_user_role_keeping_self():
    c = Config()
    hx_config.grant_every_user(c, ["access:services!service=shared-data"], hub_class=HubWithoutExtraUserScopes)
    assert "extra_user_scopes" not in c.JupyterHub
    (role,) = [r for r in c.JupyterHub.load_roles if r["name"] == "user"]
    assert role["scopes"] == ["self", "access:services!service=shared-data"]


def test_an_operators_user_role_is_extended_not_replaced():
    c = Config()
    c.JupyterHub.load_roles = [{"name": "user", "scopes": ["self", "read:groups"]}]
    hx_config.grant_every_user(c, ["access:services!service=shared-data"])
    (role,) = [r for r in c.JupyterHub.load_roles if r["name"] == "user"]
    assert role["scopes"] == ["self", "read:groups", "access:services!service=shared-data"]
    assert "extra_user_scopes" not in c.JupyterHub


def test_the_services_may_read_the_hubs_services_for_the_menu():
    c = fresh_config()
    load_config_d(c)
    (role,) = [r for r in c.JupyterHub.load_roles if r["name"] == "hubextras-services"]
    assert set(role["services"]) == {"shared-data", "servers-panel"}
    assert set(role["scopes"]) == {"list:services", "read:services"}
