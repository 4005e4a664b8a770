"""The guide's hub image (docs/examples/Dockerfile): the chart release the z2jh tests run, hubextras from source."""

import re

from harness.hub import REPO_DIR
from harness.upstream import upstream_dir

DOCKERFILE = (REPO_DIR / "docs" / "examples" / "Dockerfile").read_text()


def test_the_default_hub_image_is_the_chart_release_whose_pins_the_z2jh_tests_run():
    default = re.search(r"^ARG Z2JH_VERSION=(\S+)$", DOCKERFILE, re.M)[1]
    assert default == "4.4.0"
    assert (upstream_dir() / "chart" / f"requirements-{default}.txt").is_file()


def test_hubextras_is_installed_from_the_source_tree_not_from_an_unpublished_release():
    assert not re.search(r"pip install[^\n]*hubextras==", DOCKERFILE)
    copied = re.findall(r"^COPY (.+) \S+$", DOCKERFILE, re.M)
    sources = [path for line in copied for path in line.split()]
    assert "hubextras" in sources and "setup.cfg" in sources
    assert all((REPO_DIR / path).exists() for path in sources), sources


def test_the_install_keeps_every_package_the_hub_image_has():
    assert "pip freeze > /tmp/hub-image-pins.txt" in DOCKERFILE
    assert "--constraint /tmp/hub-image-pins.txt /tmp/hubextras" in DOCKERFILE


def test_the_guides_metrics_rbac_is_valid_and_grants_what_the_panel_reads():
    import kubernetes_validate
    import yaml

    role, binding = yaml.safe_load_all((REPO_DIR / "docs" / "examples" / "metrics-rbac.yaml").read_text())
    for manifest in (role, binding):
        kubernetes_validate.validate(manifest, "1.32", strict=True)
    # what hubextras/services/servers_panel/kube_usage.py lists: metrics.k8s.io pods in the hub's namespace
    assert {"apiGroups": ["metrics.k8s.io"], "resources": ["pods"], "verbs": ["get", "list"]} in role["rules"]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "hub", "namespace": "hub"}]


def test_the_guide_covers_the_chart_settings_that_meet_hubextras():
    guide = (REPO_DIR / "docs" / "deploy-z2jh.md").read_text()
    for words in ["slow_spawn_timeout = 0", "consecutive_failure_limit = 5", "metrics-rbac.yaml",
                  "homeMountPath", "python -m hubextras.check", "_start_watching_events"]:
        assert words in guide, words
