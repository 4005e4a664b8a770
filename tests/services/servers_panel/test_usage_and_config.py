"""Resource use read from a /proc tree, and the config snippet that registers the panel."""

from pathlib import Path

from traitlets.config import Config

from hubextras.config import load_config_d
from hubextras.scopes import NAVIGATION_SCOPES
from hubextras.services.servers_panel.usage import PAGE_SIZE, LocalUsage

SNIPPETS = Path(__file__).resolve().parents[3] / "jupyterhub_config.d"


def fake_process(proc: Path, pid: int, environ: dict, rss_pages: int, cpu_ticks: int) -> None:
    folder = proc / str(pid)
    folder.mkdir(parents=True)
    (folder / "environ").write_bytes(b"\0".join(f"{k}={v}".encode() for k, v in environ.items()) + b"\0")
    fields = ["S"] + ["0"] * 10 + [str(cpu_ticks), "0"] + ["0"] * 8 + [str(rss_pages)] + ["0"] * 20
    (folder / "stat").write_text(f"{pid} (python) " + " ".join(fields))


def test_a_servers_memory_is_the_sum_of_its_processes_and_other_processes_are_ignored(tmp_path):
    fake_process(tmp_path, 10, {"JUPYTERHUB_USER": "alice", "JUPYTERHUB_SERVER_NAME": ""}, 100, 50)
    fake_process(tmp_path, 11, {"JUPYTERHUB_USER": "alice", "JUPYTERHUB_SERVER_NAME": ""}, 300, 25)
    fake_process(tmp_path, 12, {"JUPYTERHUB_USER": "alice", "JUPYTERHUB_SERVER_NAME": "gpu"}, 7, 0)
    fake_process(tmp_path, 13, {"HOME": "/root"}, 999, 999)
    (tmp_path / "self").mkdir()
    usage = LocalUsage(str(tmp_path)).sample()
    assert set(usage) == {("alice", ""), ("alice", "gpu")}
    assert usage[("alice", "")]["memory_bytes"] == 400 * PAGE_SIZE
    assert usage[("alice", "")]["processes"] == 2


def test_a_process_that_vanishes_while_being_read_is_skipped(tmp_path):
    (tmp_path / "20").mkdir()
    (tmp_path / "20" / "environ").write_bytes(b"JUPYTERHUB_USER=bob\0")
    assert LocalUsage(str(tmp_path)).sample() == {}


def run_snippets(c: Config) -> Config:
    c.HubExtras.champions_team = "my-org:hub-champions"
    c.GitHubTeamsAuthenticator.allowed_teams = {"my-org:hub-users"}
    c.CryptKeeper.keys = [b"0" * 32]
    load_config_d(c, SNIPPETS)
    return c


def test_the_snippet_registers_the_service_once_and_gives_champions_its_scopes_once():
    c = Config()
    c.ServersPanel.concurrency = 3
    c.ServersPanel.service_url = "http://10.0.0.5:10102"
    run_snippets(c)
    run_snippets(c)
    (service,) = [s for s in c.JupyterHub.services if s["name"] == "servers-panel"]
    assert service["url"] == "http://10.0.0.5:10102"
    assert "--ServersPanel.concurrency=3" in service["command"]
    assert not [arg for arg in service["command"] if "service_url" in arg]
    (role,) = [r for r in c.JupyterHub.load_roles if r["name"] == "hubextras-champions"]
    assert role["groups"] == ["my-org:hub-champions"]
    assert role["scopes"].count("access:services!service=servers-panel") == 1
    assert set(service["oauth_client_allowed_scopes"]) - set(NAVIGATION_SCOPES) <= set(role["scopes"])
    assert "admin:servers" not in role["scopes"]
