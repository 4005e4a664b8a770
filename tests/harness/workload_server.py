"""A tiny single-user server that also does what a person's code would, to test what their account may do.

Run as the person's account by the hub (`/usr/bin/python3 workload_server.py`), below the prefix:
`whoami` (uid, gid, groups), `try?op=read|list|write&path=...` (the outcome of that file operation),
`hog?mb=N` (a child process, as a kernel would be, allocating and touching N MB), and
`burn?n=N&seconds=S` (N busy child processes). Everything else answers as harness/tiny_singleuser.py.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tiny_singleuser  # noqa: E402

HOG = "b = bytearray({mb} * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1\nimport time; time.sleep(60)"
BURN = "import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass"
_plain_respond = tiny_singleuser.respond


def attempt(op: str, path: str) -> dict:
    try:
        if op == "read":
            Path(path).read_bytes()
        elif op == "list":
            os.listdir(path)
        elif op == "write":
            Path(path).write_text("written by a user's server")
        return {"ok": True}
    except OSError as e:
        return {"ok": False, "error": type(e).__name__}


def respond(method, target):
    url = urlsplit(target)
    action = url.path[len(tiny_singleuser.PREFIX):] if url.path.startswith(tiny_singleuser.PREFIX) else ""
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    if action == "whoami":
        body = {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "pid": os.getpid()}
    elif action == "try":
        body = attempt(query["op"], query["path"])
    elif action == "hog":
        child = subprocess.Popen([sys.executable, "-c", HOG.format(mb=int(query["mb"]))])
        body = {"pid": child.pid}
    elif action == "burn":
        code = BURN.format(seconds=float(query.get("seconds", 5)))
        body = {"pids": [subprocess.Popen([sys.executable, "-c", code]).pid for _ in range(int(query["n"]))]}
    else:
        return _plain_respond(method, target)
    return "200 OK", "application/json", json.dumps(body)


tiny_singleuser.respond = respond

if __name__ == "__main__":
    sys.exit(tiny_singleuser.main())
