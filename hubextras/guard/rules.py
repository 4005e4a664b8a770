"""What the guard stops, as plain data in and out (pure): cryptnono's kind of rules over a process's facts.

A process is judged on its command line (banned strings and pool protocols, case-folded), its binary's name
(known miners) and its TCP connections (a remote port the operator names as a mining pool's). A command line
the allow-list matches is never stopped. Sustained CPU use only ever reports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# from cryptnono's and public miners' names; operators add their own (GuardService.banned_strings, ...)
DEFAULT_MINER_BINARIES = (
    "xmrig", "xmr-stak", "xmr-stak-rx", "minerd", "cpuminer", "cpuminer-multi", "cpuminer-opt", "cgminer",
    "bfgminer", "ccminer", "ethminer", "nbminer", "t-rex", "lolminer", "phoenixminer", "nanominer", "gminer",
    "teamredminer", "srbminer", "srbminer-multi", "xmrig-cuda", "nheqminer", "claymore", "bminer",
)
DEFAULT_POOL_PROTOCOLS = ("stratum+tcp://", "stratum+ssl://", "stratum+tls://", "stratum2+tcp://", "stratum1+tcp://")
DEFAULT_BANNED_STRINGS = ("--donate-level", "randomx", "cryptonight", "nicehash", "moneroocean", "supportxmr",
                          "nanopool.org", "2miners.com", "f2pool.com", "minexmr")


@dataclass(frozen=True)
class ProcessFacts:
    """What the guard knows of one process."""

    pid: int
    binary: str  # the file name of its executable (or its comm)
    cmdline: tuple[str, ...]
    remote_ports: tuple[int, ...] = ()  # of its TCP sockets that are not listening

    @property
    def command(self) -> str:
        return " ".join(self.cmdline) or f"[{self.binary}]"


@dataclass(frozen=True)
class Rules:
    banned_strings: tuple[str, ...] = DEFAULT_BANNED_STRINGS
    miner_binaries: tuple[str, ...] = DEFAULT_MINER_BINARIES
    pool_protocols: tuple[str, ...] = DEFAULT_POOL_PROTOCOLS
    stratum_ports: tuple[int, ...] = ()
    allow: tuple[str, ...] = ()  # regular expressions searched in the command line
    _allow: tuple[re.Pattern, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "_allow", tuple(re.compile(pattern) for pattern in self.allow))

    def allowed(self, process: ProcessFacts) -> bool:
        return any(pattern.search(process.command) for pattern in self._allow)


@dataclass(frozen=True)
class Match:
    kind: str  # "banned-string", "pool-protocol", "miner-binary", "stratum-port"
    rule: str  # the string, binary name or port that matched
    pid: int
    command: str

    def describe(self) -> str:
        return {
            "banned-string": f"its command line contains the banned string {self.rule!r}",
            "pool-protocol": f"its command line names a mining pool protocol ({self.rule})",
            "miner-binary": f"it runs a known mining program ({self.rule})",
            "stratum-port": f"it is connected to a mining pool port ({self.rule})",
        }[self.kind]


def judge(process: ProcessFacts, rules: Rules) -> Match | None:
    """The first rule `process` breaks, or None (also None when the allow-list admits it)."""
    if rules.allowed(process):
        return None
    command = process.command.casefold()
    for protocol in rules.pool_protocols:
        if protocol.casefold() in command:
            return Match("pool-protocol", protocol, process.pid, process.command)
    for banned in rules.banned_strings:
        if banned and banned.casefold() in command:
            return Match("banned-string", banned, process.pid, process.command)
    binary = process.binary.casefold()
    names = {binary, *(part.rsplit("/", 1)[-1].casefold() for part in process.cmdline[:1])}
    for miner in rules.miner_binaries:
        if miner.casefold() in names:
            return Match("miner-binary", miner, process.pid, process.command)
    for port in process.remote_ports:
        if port in rules.stratum_ports:
            return Match("stratum-port", str(port), process.pid, process.command)
    return None


def judge_all(processes: Iterable[ProcessFacts], rules: Rules) -> list[Match]:
    return [m for m in (judge(p, rules) for p in processes) if m is not None]


@dataclass(frozen=True)
class CPUSample:
    when: float  # seconds
    cpu_seconds: float  # the process's user + system time so far


def sustained_cpu(samples: list[CPUSample], *, fraction: float, seconds: float) -> bool:
    """Whether the samples (oldest first) show at least `fraction` of a CPU used over at least the last
    `seconds` — a report for champions to look at, never a reason to stop anything."""
    if len(samples) < 2 or seconds <= 0:
        return False
    last = samples[-1]
    window = [s for s in samples if last.when - s.when >= seconds]
    if not window:
        return False
    first = window[-1]  # the latest sample at least `seconds` before the last
    elapsed = last.when - first.when
    return elapsed > 0 and (last.cpu_seconds - first.cpu_seconds) / elapsed >= fraction
