"""The guard's config: on one machine it runs, on Kubernetes it is left to cryptnono."""

from traitlets.config import Config

from hubextras.guard.wiring import add_guard


def test_the_guard_is_left_out_on_kubernetes_and_kept_on_one_machine():
    kube, local = Config(), Config()
    kube.JupyterHub.spawner_class = "profiles-kube"
    local.JupyterHub.spawner_class = "profiles-local"
    assert add_guard(kube) is None and "services" not in kube.JupyterHub
    assert add_guard(local)["name"] == "guard"
