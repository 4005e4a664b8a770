"""Run code in a real kernel of a person's server, over the Jupyter REST API and the kernel's websocket.

    with Kernel(hub, "alice") as kernel:
        assert kernel.run("print(1 + 1)") == "2\\n"
"""

from __future__ import annotations

import json
import time
import uuid

import requests
import websocket

IDLE_RECONNECT = 20  # seconds; a kernel's websocket left idle longer than this is opened again


class KernelError(Exception):
    """The code raised in the kernel; the message is the kernel's traceback text."""


class Kernel:
    def __init__(self, hub, username: str, *, server: str = "", timeout: float = 120):
        self.hub, self.username, self.timeout = hub, username, timeout
        self.token = hub.user_token(username)
        self.base = f"{hub.url}/user/{username}/{server + '/' if server else ''}"
        self.kernel_id = ""
        self.ws = None

    def __enter__(self) -> Kernel:
        headers = {"Authorization": f"token {self.token}"}
        r = requests.post(f"{self.base}api/kernels", headers=headers, json={"name": "python3"}, timeout=60)
        r.raise_for_status()
        self.kernel_id = r.json()["id"]
        self._connect()
        return self

    def _connect(self) -> None:
        self.last_used = time.monotonic()
        url = self.base.replace("http://", "ws://") + f"api/kernels/{self.kernel_id}/channels"
        self.ws = websocket.create_connection(url, header=[f"Authorization: token {self.token}"], timeout=self.timeout)

    def __exit__(self, *exc) -> None:
        if self.ws is not None:
            self.ws.close()
        requests.delete(f"{self.base}api/kernels/{self.kernel_id}",
                        headers={"Authorization": f"token {self.token}"}, timeout=30)

    def run(self, code: str, timeout: float | None = None) -> str:
        """Run `code`; returns what it printed. Raises KernelError with the traceback if it raised."""
        msg_id = uuid.uuid4().hex
        request = json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": self.username,
                       "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True},
        })
        if time.monotonic() - self.last_used > IDLE_RECONNECT:  # the server may have closed an idle socket
            self.ws.close()
            self._connect()
        self.ws.send(request)
        out, error = [], None
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            self.last_used = time.monotonic()
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "error":
                error = "\n".join(content.get("traceback", [])) or f"{content['ename']}: {content['evalue']}"
            elif kind == "status" and content["execution_state"] == "idle":
                if error:
                    raise KernelError(error)
                return "".join(out)
        raise TimeoutError(f"the kernel did not finish within {timeout or self.timeout}s")
