"""The guard's state file (alerts and blocks), the hub's start check, and the home page's provider.

The guard service writes `guard.json` whole; the hub reads it when it changed. A blocked person's start is
refused with a 403 that says what happened and whom to ask (JupyterHub counts it as a handled refusal).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

STATE_FILE = "guard.json"


@dataclass(frozen=True)
class Alert:
    id: str
    user: str
    server: str
    when: float
    kind: str  # a rule kind (rules.Match.kind), or "sustained-cpu" (reported only)
    rule: str
    reason: str  # words: what the process did
    pid: int
    command: str
    actions: tuple[str, ...]  # what the guard did: "killed", "stopped", "blocked"; () for a report

    def to_json(self) -> dict:
        return {**asdict(self), "actions": list(self.actions)}

    @classmethod
    def from_json(cls, data: dict) -> Alert:
        return cls(**{**data, "actions": tuple(data["actions"])})


@dataclass(frozen=True)
class Block:
    user: str
    since: float
    alert: str  # the alert's id
    reason: str


def read_state(path: Path) -> tuple[list[Alert], dict[str, Block]]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return [], {}
    return ([Alert.from_json(a) for a in data.get("alerts", [])],
            {b["user"]: Block(**b) for b in data.get("blocks", [])})


def write_state(path: Path, alerts: list[Alert], blocks: dict[str, Block]) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"version": 1, "alerts": [a.to_json() for a in alerts],
                   "blocks": [asdict(b) for b in blocks.values()]}, f, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, path)


def blocked_message(block: Block, contact: str) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(block.since))
    return (f"Your server was stopped on {when} because {block.reason}; this hub does not allow cryptocurrency "
            f"mining. You cannot start a server until a hub champion lifts the block: ask {contact}.")


class GuardState:
    """The guard's blocks as the hub reads them (re-read when the file changed; a broken file keeps the last)."""

    def __init__(self, path: str | Path, contact: str = "a hub champion"):
        self.path, self.contact = Path(path), contact
        self._seen, self._blocks = None, {}

    def __eq__(self, other):
        return isinstance(other, GuardState) and (self.path, self.contact) == (other.path, other.contact)

    def blocks(self) -> dict[str, Block]:
        try:
            stat = os.stat(self.path)
            seen = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except FileNotFoundError:
            seen = None
        if seen != self._seen:
            try:
                self._blocks = read_state(self.path)[1] if seen else {}
            except (OSError, ValueError, TypeError, KeyError):
                pass
            self._seen = seen
        return self._blocks

    def message_for(self, name: str) -> str | None:
        block = self.blocks().get(name)
        return blocked_message(block, self.contact) if block else None

    def __call__(self, user=None) -> dict | None:
        """`template_vars` provider: the person's block on their home page, or None."""
        message = self.message_for(user.name) if user is not None else None
        return {"blocked": True, "message": message} if message else None

    def pre_spawn_hook(self, spawner) -> None:
        """Refuse a blocked person's start (HTTPError 403 with the message)."""
        from tornado import web

        message = self.message_for(spawner.user.name)
        if message:
            error = web.HTTPError(403, message)
            error.jupyterhub_message = message
            raise error


class StartCheck:
    """`c.Spawner.pre_spawn_hook`: the guard's refusal of blocked people, then the operator's own hook (if any).
    Configuring it again replaces the guard's part and keeps the operator's."""

    def __init__(self, state: GuardState, then=None):
        self.state = state
        self.then = then.then if isinstance(then, StartCheck) else then

    def __eq__(self, other):
        return isinstance(other, StartCheck) and (self.state, self.then) == (other.state, other.then)

    async def __call__(self, spawner):
        from jupyterhub.utils import maybe_future

        self.state.pre_spawn_hook(spawner)
        if self.then is not None:
            await maybe_future(self.then(spawner))
