"""The `kube_api` pytest fixture: a running KubeEmulator with kubernetes_asyncio pointed at it."""

from __future__ import annotations

import kmock
import pytest_asyncio

from harness.kube_emulator import KubeEmulator, kubeconfig_for


@pytest_asyncio.fixture
async def kube_api(tmp_path):
    """An in-memory Kubernetes API on 127.0.0.1 (kmock + shim + fake kubelet); `.url`, `.pods()`, `.pvcs()`.

    KubeSpawner's pod reflectors (class-level, bound to this test's loop) are stopped afterwards.
    """
    async with KubeEmulator() as api, kmock.Server(api):
        with kubeconfig_for(str(api.url).rstrip("/"), tmp_path):
            try:
                yield api
            finally:
                from kubespawner import KubeSpawner

                await KubeSpawner._stop_all_reflectors()
