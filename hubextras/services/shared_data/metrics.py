"""Prometheus metrics of the service, in its own registry (served at the service's `/metrics`)."""

from prometheus_client import CollectorRegistry, Counter, Gauge

REGISTRY = CollectorRegistry(auto_describe=True)

BYTES_WRITTEN = Counter(
    "hubextras_shared_data_bytes_written", "Bytes written into the shared folder (uploads and pulls)", registry=REGISTRY
)
OPERATIONS = Counter(
    "hubextras_shared_data_operations",
    "Completed changes to the shared folder, by kind",
    ["operation"],
    registry=REGISTRY,
)
ERRORS = Counter(
    "hubextras_shared_data_errors", "Refused or failed requests, by kind", ["operation"], registry=REGISTRY
)
USED_BYTES = Gauge("hubextras_shared_data_used_bytes", "Bytes the shared folder holds", registry=REGISTRY)
QUOTA_BYTES = Gauge("hubextras_shared_data_quota_bytes", "Quota of the shared folder", registry=REGISTRY)
