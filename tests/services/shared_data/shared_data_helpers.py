"""Helpers of the shared-data tests: the service's API through the hub's proxy, as scripts use it."""

from __future__ import annotations

import hashlib
import time

import requests

SERVICE = "/services/shared-data/"


class ServiceClient:
    """The shared-data JSON API through the hub's proxy, with one person's API token."""

    def __init__(self, hub, token: str):
        self.hub, self.base = hub, f"{hub.url}{SERVICE}"
        self.headers = {"Authorization": f"token {token}"}

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.request(method, self.base + path, headers=headers, timeout=120, **kwargs)

    def upload(self, path: str, data: bytes, *, chunk: int | None = None, overwrite: bool = False) -> dict:
        """Upload `data` the way the page does: start, then pieces of `chunk` bytes (the server's choice)."""
        started = self.request("POST", "api/uploads", json={"path": path, "size": len(data), "overwrite": overwrite})
        assert started.status_code == 201, started.text
        upload = started.json()
        chunk = chunk or upload["chunk_bytes"]
        offset, model = 0, upload
        while not model.get("done"):
            answer = self.request(
                "PUT", f"api/uploads/{upload['id']}?offset={offset}", data=data[offset : offset + chunk]
            )
            assert answer.status_code == 200, answer.text
            model = answer.json()
            offset = model["offset"]
        return model

    def wait_for_pull(self, job_id: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.request("GET", f"api/pulls/{job_id}").json()
            if job["state"] != "running":
                return job
            time.sleep(0.2)
        raise TimeoutError(f"pull {job_id} still running after {timeout}s")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
