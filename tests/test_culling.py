"""The idle culler service from HubExtras traits: its command, its role, off by one trait."""

import sys

from traitlets.config import Config

from hubextras.config import configured, load_config_d
from hubextras.culling import CULLER_SCOPES, IDLE_CULLER, add_idle_culler, idle_culler_command


def culler(c):
    return next((s for s in configured(c.JupyterHub, "services", []) if s["name"] == IDLE_CULLER), None)


def test_the_culler_runs_by_default_with_its_role():
    c = Config()
    assert add_idle_culler(c)
    assert culler(c)["command"][:3] == [sys.executable, "-m", "jupyterhub_idle_culler"]
    role = next(r for r in c.JupyterHub.load_roles if r["name"] == "hubextras-idle-culler")
    assert role["services"] == [IDLE_CULLER] and role["scopes"] == CULLER_SCOPES


def test_the_command_follows_the_traits():
    c = Config()
    c.HubExtras.idle_timeout, c.HubExtras.idle_max_age, c.HubExtras.idle_concurrency = 600, 86400, 3
    c.HubExtras.idle_cull_users = True
    from hubextras.config import HubExtras

    command = idle_culler_command(HubExtras(config=c))
    assert command[3:] == ["--timeout=600", "--cull-every=300", "--concurrency=3", "--max-age=86400", "--cull-users"]


def test_culling_users_adds_the_scope_to_delete_them():
    c = Config()
    c.HubExtras.idle_cull_users = True
    add_idle_culler(c)
    role = next(r for r in c.JupyterHub.load_roles if r["name"] == "hubextras-idle-culler")
    assert "admin:users" in role["scopes"]


def test_one_trait_turns_it_off():
    c = Config()
    c.HubExtras.idle_culler_enabled = False
    assert not add_idle_culler(c) and culler(Config(c)) is None


def test_running_the_snippets_twice_registers_one_culler(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_CRYPT_KEY", "0" * 64)
    c = Config()
    load_config_d(c)
    load_config_d(c)
    assert [s["name"] for s in c.JupyterHub.services].count(IDLE_CULLER) == 1


def test_an_operators_own_culler_service_is_left_alone():
    c = Config()
    c.JupyterHub.services = [{"name": IDLE_CULLER, "command": ["my-culler"]}]
    assert not add_idle_culler(c) and culler(c)["command"] == ["my-culler"]


def test_without_the_culler_installed_the_hub_says_idle_servers_are_not_stopped(monkeypatch, caplog):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name: None if name == "jupyterhub_idle_culler" else real(name))
    c = Config()
    assert not add_idle_culler(c) and culler(Config(c)) is None
    assert "idle servers are NOT stopped" in caplog.text
