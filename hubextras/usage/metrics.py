"""Prometheus metrics of usage, on the hub's own /hub/metrics (the default registry).

`jupyterhub_user_group_info` has the shape of jupyterhub-groups-exporter's gauge (labels namespace,
usergroup, username, username_escaped, username_safe; value 1; people in no group under "none"), so
dashboards that join usage with groups work unchanged.
"""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily

SERVER_HOURS = Counter(
    "hubextras_usage_server_hours", "Server-hours used, by person and profile", ["username", "profile"]
)
MEMORY_GIB_HOURS = Counter(
    "hubextras_usage_memory_gib_hours", "GiB-hours of requested memory, by person and profile", ["username", "profile"]
)
CPU_HOURS = Counter(
    "hubextras_usage_cpu_hours", "CPU-hours of requested CPU, by person and profile", ["username", "profile"]
)
SERVERS_STARTED = Counter("hubextras_usage_servers_started", "Servers started, by profile", ["profile"])
SERVERS_ENDED = Counter(
    "hubextras_usage_servers_ended", "Servers ended, by profile and how they ended", ["profile", "reason"]
)
QUOTA_REFUSALS = Counter(
    "hubextras_usage_quota_refusals",
    "Starts refused by a quota, by policy group and resource",
    ["usergroup", "resource"],
)
STORE_FAILURES = Counter(
    "hubextras_usage_store_failures",
    "Usage store operations that failed or took too long, by operation and outcome",
    ["operation", "outcome"],
)
OVER_QUOTA_SERVERS = Gauge("hubextras_usage_over_quota_servers", "Running servers whose person is over quota")
RUNNING_SERVERS = Gauge(
    "hubextras_usage_running_servers", "Running servers in the usage record, by profile", ["profile"]
)

GROUP_INFO = "jupyterhub_user_group_info"
NO_GROUP = "none"


def escaped_username(name: str) -> str:
    """KubeSpawner's legacy "escape" scheme (escapism with `-`), as the groups exporter labels it."""
    import string

    from escapism import escape

    return escape(name, safe=set(string.ascii_lowercase + string.digits), escape_char="-").lower()


def safe_username(name: str) -> str:
    """KubeSpawner's "safe" slug scheme."""
    try:
        from kubespawner.slugs import safe_slug
    except ImportError:  # kubespawner is installed with hubextras; keep the metric even without it
        return escaped_username(name)
    return safe_slug(name)


class GroupMembershipCollector:
    """`jupyterhub_user_group_info` from the hub's own database, read at every scrape."""

    def __init__(self, memberships, namespace: str = ""):
        self.memberships = memberships  # () -> iterable of (username, [group names])
        self.namespace = namespace or os.environ.get("POD_NAMESPACE", "")

    def collect(self):
        family = GaugeMetricFamily(
            GROUP_INFO,
            "JupyterHub user group membership",
            labels=["namespace", "usergroup", "username", "username_escaped", "username_safe"],
        )
        try:
            memberships = list(self.memberships())
        except Exception:  # the hub's database is not ready (hub starting): report nothing this time
            memberships = []
        for username, groups in memberships:
            escaped, safe = escaped_username(username), safe_username(username)
            for group in sorted(groups) or [NO_GROUP]:
                family.add_metric([self.namespace, group, username, escaped, safe], 1)
        yield family

    def describe(self):
        return []


_registered: GroupMembershipCollector | None = None


def register_group_membership(memberships, namespace: str = "") -> GroupMembershipCollector:
    """Register the group-membership gauge once per process (a second call changes the source)."""
    global _registered
    if _registered is None:
        _registered = GroupMembershipCollector(memberships, namespace)
        REGISTRY.register(_registered)
    else:
        _registered.memberships, _registered.namespace = memberships, namespace or _registered.namespace
    return _registered
