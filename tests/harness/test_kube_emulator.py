"""The Kubernetes emulator itself: the shim's metadata, watch=True, and the fake kubelet."""

import asyncio


async def test_created_pods_get_metadata_and_pending_status(kube_api):
    async with kube_api.post("/api/v1/namespaces/ns1/pods", json={"metadata": {"name": "p"}, "spec": {}}) as r:
        pod = await r.json()
    assert pod["metadata"]["namespace"] == "ns1" and pod["metadata"]["uid"]
    assert pod["metadata"]["resourceVersion"] and pod["metadata"]["creationTimestamp"]
    assert pod["status"]["phase"] == "Pending"


async def test_fake_kubelet_marks_pods_running_with_an_ip_and_ready_containers(kube_api):
    spec = {"containers": [{"name": "notebook", "image": "x:1"}]}
    async with kube_api.post("/api/v1/namespaces/ns/pods", json={"metadata": {"name": "p"}, "spec": spec}) as r:
        assert r.status == 200
    for _ in range(100):
        if kube_api.pods()[0]["status"]["phase"] == "Running":
            break
        await asyncio.sleep(0.01)
    status = kube_api.pods()[0]["status"]
    assert status["phase"] == "Running" and status["podIP"] == "10.0.0.7"
    assert [c["ready"] for c in status["containerStatuses"]] == [True]


async def test_watch_true_as_kubernetes_asyncio_sends_it_streams_events(kube_api):
    async with kube_api.get("/api/v1/namespaces/ns/pods", params={"watch": "True"}) as watch:
        async with kube_api.post("/api/v1/namespaces/ns/pods", json={"metadata": {"name": "w"}, "spec": {}}):
            pass
        line = await asyncio.wait_for(watch.content.readline(), 5)
    assert b'"ADDED"' in line and b'"w"' in line
