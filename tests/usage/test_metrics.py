"""Usage metrics on the hub's /hub/metrics, scraped by a real Prometheus; every dashboard query returns data."""

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
from harness.hub import REPO_DIR, free_port
from prometheus_client.parser import text_string_to_metric_families
from usage_fixtures import CULLER_TOKEN, HOUR, MONDAY, wait_until

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
DASHBOARD = REPO_DIR / "docs" / "grafana" / "hubextras-usage.json"
# what Grafana puts in for its variables when it runs the dashboard's queries
GRAFANA_VARIABLES = {"$__range": "1h", "$__rate_interval": "1m", "$usergroup": ".*", "${datasource}": ""}


@pytest.fixture(scope="module")
def busy_hub(usage_hub):
    """Starts, a culled stop and a refusal, so that every usage metric has samples."""
    usage_hub.at(MONDAY)
    usage_hub.started("ada", "medium")
    usage_hub.at(MONDAY + 5 * HOUR)
    usage_hub.stopped("ada", token=CULLER_TOKEN)
    assert usage_hub.start("ada", "small").status_code == 403
    usage_hub.started("free", "small")  # left running: the running-servers gauge
    usage_hub.at(MONDAY + 6 * HOUR)
    return usage_hub


def metrics_text(hub) -> str:
    r = hub.api("GET", "/../metrics")
    assert r.status_code == 200, r.text
    return r.text


def test_group_membership_has_the_groups_exporters_shape(busy_hub):
    families = {f.name: f for f in text_string_to_metric_families(metrics_text(busy_hub.hub))}
    samples = {(s.labels["usergroup"], s.labels["username"]): s for s in families["jupyterhub_user_group_info"].samples}
    ada = samples[("demo-org:students", "ada")]
    assert set(ada.labels) == {"namespace", "usergroup", "username", "username_escaped", "username_safe"}
    assert ada.value == 1
    assert ("none", "free") in samples  # people in no group, as the exporter reports them


def test_usage_counters_and_refusals_are_exported(busy_hub):
    text = metrics_text(busy_hub.hub)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    memory = {
        s.labels["username"]: s.value
        for s in families["hubextras_usage_memory_gib_hours"].samples
        if s.name.endswith("_total")
    }
    assert memory["ada"] == pytest.approx(10.0)
    refusals = [s for s in families["hubextras_usage_quota_refusals"].samples if s.name.endswith("_total")]
    assert refusals and refusals[0].labels == {"usergroup": "demo-org:students", "resource": "memory_gib_hours"}
    ended = {s.labels["reason"] for s in families["hubextras_usage_servers_ended"].samples}
    assert "culled" in ended


@pytest.fixture(scope="module")
def prometheus(busy_hub, tmp_path_factory):
    if not Path(PROMETHEUS).exists():
        pytest.fail("Debian's prometheus is missing: apt-get install prometheus (the CI script installs it)")
    folder = tmp_path_factory.mktemp("prometheus")
    port = free_port()
    hub = busy_hub.hub
    (folder / "prometheus.yml").write_text(f"""
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: jupyterhub
    metrics_path: /hub/metrics
    authorization:
      type: Bearer
      credentials: {hub.api_token}
    static_configs:
      - targets: ["127.0.0.1:{hub.port}"]
""")
    proc = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=open(folder / "prometheus.log", "wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _ready(url), what="Prometheus to be ready")
        wait_until(lambda: _query(url, "count(up == 1)"), what="Prometheus to scrape the hub")
        time.sleep(4)  # several scrapes: rates and increases need two samples or more
        yield url
    finally:
        proc.terminate()
        proc.wait(20)


def _ready(url):
    try:
        return requests.get(f"{url}/-/ready", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _query(url, expr):
    r = requests.get(f"{url}/api/v1/query", params={"query": expr}, timeout=10)
    body = r.json()
    assert body["status"] == "success", f"{expr}: {body}"
    return body["data"]["result"]


def dashboard_queries():
    dashboard = json.loads(DASHBOARD.read_text())
    return [(p["title"], t["expr"]) for p in dashboard["panels"] for t in p["targets"]]


def test_the_dashboard_has_queries():
    assert len(dashboard_queries()) >= 8


@pytest.mark.parametrize("title, expr", dashboard_queries(), ids=[t for t, _ in dashboard_queries()])
def test_every_dashboard_query_returns_data(prometheus, title, expr):
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    assert _query(prometheus, expr), f"the panel {title!r} would be empty: {expr}"
