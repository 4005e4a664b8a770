"""A fake single-user server in which a person "runs" commands: the tiny server, plus every command a test drops
as JSON (`{"argv": [...]}`) in `$HUBEXTRAS_TEST_WORK_DIR/<user>/`, started as this process's children (so they
are in the server's process tree, as a person's terminal commands would be)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

TINY = Path(__file__).resolve().parents[2] / "harness" / "tiny_singleuser.py"


def main():
    inbox = Path(os.environ["HUBEXTRAS_TEST_WORK_DIR"]) / os.environ["JUPYTERHUB_USER"]
    inbox.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen([sys.executable, str(TINY), *sys.argv[1:]])
    work = []

    def stop(*_):
        for child in [server, *work]:
            if child.poll() is None:
                child.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    while server.poll() is None:
        for order in sorted(inbox.glob("*.json")):
            argv = json.loads(order.read_text())["argv"]
            work.append(subprocess.Popen(argv))
            (inbox / f"{order.stem}.pid").write_text(str(work[-1].pid))
            order.unlink()
        time.sleep(0.1)
    stop()


if __name__ == "__main__":
    main()
