"""The Dask Gateway snippet: off by default; the service, the role and the servers' variables and scopes."""

import json

from traitlets.config import Config

from hubextras.dask_gateway import ACCESS_SCOPE
from hubextras.dask_gateway.wiring import configure_dask_gateway


def enabled(**settings) -> Config:
    c = Config()
    c.DaskClusters.enabled = True
    c.DaskClusters.groups = ["org:dask"]
    for key, value in settings.items():
        setattr(c.DaskClusters, key, value)
    configure_dask_gateway(c)
    return c


def test_nothing_runs_unless_enabled():
    c = Config()
    configure_dask_gateway(c)
    assert "services" not in c.JupyterHub and "environment" not in c.Spawner


def test_the_service_is_named_dask_gateway_and_listens_where_servers_are_told():
    c = enabled()
    (service,) = c.JupyterHub.services
    settings = json.loads(service["environment"]["HUBEXTRAS_DASK_GATEWAY"])
    assert service["name"] == "dask-gateway" and service["url"] == f"http://{settings['proxy_address']}"
    assert c.Spawner.environment["DASK_GATEWAY__ADDRESS"] == f"{service['url']}/services/dask-gateway"
    assert c.Spawner.environment["DASK_GATEWAY__PROXY_ADDRESS"] == f"gateway://{settings['tcp_address']}"


def test_the_role_holds_the_access_scope_for_the_named_groups():
    (role,) = enabled().JupyterHub.load_roles
    assert (role["name"], role["scopes"], role["groups"]) == ("dask-gateway-users", [ACCESS_SCOPE], ["org:dask"])


def test_servers_tokens_may_carry_the_access_scope_besides_the_default_server_scopes():
    assert enabled().Spawner.server_token_scopes == ["users:activity!user", "access:servers!server", ACCESS_SCOPE]


def test_running_the_snippet_twice_keeps_the_addresses():
    c = enabled()
    first = c.JupyterHub.services[0]["url"]
    configure_dask_gateway(c)
    assert [s["url"] for s in c.JupyterHub.services] == [first]


def test_the_one_machine_account_template_is_the_gateways():
    c = Config()
    c.ProfilesLocalSpawner.account_template = "hub-{username}"
    c.DaskClusters.enabled = True
    configure_dask_gateway(c)
    settings = json.loads(c.JupyterHub.services[0]["environment"]["HUBEXTRAS_DASK_GATEWAY"])
    assert settings["account_template"] == "hub-{username}"


def test_every_setting_says_what_it_is_for():
    from hubextras.dask_gateway.wiring import DaskClusters

    assert [n for n, t in DaskClusters.class_own_traits(config=True).items() if not (t.help or "").strip()] == []
