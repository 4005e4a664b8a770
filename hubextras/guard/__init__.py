"""The mining and abuse guard: rules (pure), the one-machine process reader, and what the hub reads of it.

- `rules`: cryptnono's kind of rules over plain facts of a process (banned command-line strings, known miner
  binaries, pool protocols, connections to stratum ports, an allow-list), and a sustained-CPU heuristic that only
  reports (pure).
- `processes`: one machine: a server's process tree from its pid, each process's command line, binary and TCP
  connections from /proc (fd links to socket inodes, matched in /proc/net/tcp and tcp6).
- `published`: the guard's state file (alerts and blocks), the hub's start check and the home page's provider.

The service that scans, kills, stops, blocks and alerts is `hubextras.services.guard`.
"""
