"""Operators' command line for the usage store: grant, revoke and list bumps.

    python -m hubextras.usage bump --store hubextras-usage.sqlite --user ada --amount 50 --days 7 \\
        --resource memory_gib_hours --by operator-name --reason "thesis deadline"
    python -m hubextras.usage bumps --store hubextras-usage.sqlite
    python -m hubextras.usage revoke --store hubextras-usage.sqlite --id 3 --by operator-name
"""

from __future__ import annotations

import argparse
import json
import sys

from .clock import Clock
from .quota import Bump
from .record import DAY, RESOURCES
from .store import UsageStore


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hubextras.usage", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    bump = commands.add_parser("bump", help="grant a person a temporary increase")
    bump.add_argument("--user", required=True)
    bump.add_argument("--resource", choices=RESOURCES, default="memory_gib_hours")
    bump.add_argument("--amount", type=float, required=True)
    bump.add_argument("--days", type=float, required=True, help="how long the bump lasts")
    bump.add_argument("--by", required=True, help="who grants it (kept in the bumps' history)")
    bump.add_argument("--reason", default="")
    revoke = commands.add_parser("revoke", help="end a bump early")
    revoke.add_argument("--id", type=int, required=True)
    revoke.add_argument("--by", required=True)
    commands.add_parser("bumps", help="every bump granted, newest first, as JSON lines")
    for command in commands.choices.values():
        command.add_argument("--store", required=True, help="the usage store's sqlite file")
    args = parser.parse_args(argv)
    if args.command == "bump" and (args.amount <= 0 or args.days <= 0):
        parser.error("--amount and --days must be more than 0")
    store, now = UsageStore(args.store), Clock().now()
    if args.command == "bump":
        bump_id = store.add_bump(
            Bump(args.user, args.resource, args.amount, now + args.days * DAY, args.by, now, args.reason)
        )
        print(json.dumps({"id": bump_id, "user": args.user, "expires": now + args.days * DAY}))
    elif args.command == "revoke":
        if not store.revoke_bump(args.id, args.by, now):
            print(f"No bump {args.id} in force to revoke.", file=sys.stderr)
            return 1
    else:
        for entry in store.bump_history():
            print(json.dumps(entry))
    return 0


if __name__ == "__main__":
    sys.exit(main())
