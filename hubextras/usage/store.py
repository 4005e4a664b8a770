"""The usage store: a small sqlite file next to the hub's database (its own file), safe across restarts.

The hub writes records and reads them for quota checks; the usage service reads them for its pages and
writes bumps. sqlite's write-ahead log lets both processes work at once. Calls are synchronous and
short (indexed); the hub calls them from one worker thread with a time limit (see `recorder`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path

from .quota import Bump
from .record import UsageRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS servers (
    id TEXT PRIMARY KEY, user TEXT NOT NULL, server TEXT NOT NULL, groups TEXT NOT NULL, profile TEXT NOT NULL,
    mem_guarantee INTEGER NOT NULL, mem_limit INTEGER NOT NULL, cpu_guarantee REAL NOT NULL, cpu_limit REAL NOT NULL,
    started REAL NOT NULL, stopped REAL, ended TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS servers_user_stopped ON servers (user, stopped);
CREATE INDEX IF NOT EXISTS servers_stopped ON servers (stopped);
CREATE TABLE IF NOT EXISTS server_groups (
    record_id TEXT NOT NULL, grp TEXT NOT NULL, stopped REAL
);
CREATE INDEX IF NOT EXISTS server_groups_grp_stopped ON server_groups (grp, stopped);
CREATE INDEX IF NOT EXISTS server_groups_record ON server_groups (record_id);
CREATE TABLE IF NOT EXISTS bumps (
    id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, resource TEXT NOT NULL, amount REAL NOT NULL,
    expires REAL NOT NULL, granted_by TEXT NOT NULL, granted_at REAL NOT NULL, reason TEXT NOT NULL,
    revoked_by TEXT, revoked_at REAL
);
CREATE INDEX IF NOT EXISTS bumps_user ON bumps (user, expires);
"""
COLUMNS = (
    "id, user, server, groups, profile, mem_guarantee, mem_limit, cpu_guarantee, cpu_limit, started, stopped, ended"
)


_GROUPS: dict[str, tuple[str, ...]] = {}  # the few distinct group lists, parsed once


def _groups(text: str) -> tuple[str, ...]:
    groups = _GROUPS.get(text)
    if groups is None:
        if len(_GROUPS) > 10_000:
            _GROUPS.clear()
        groups = _GROUPS[text] = tuple(json.loads(text))
    return groups


def _record(row) -> UsageRecord:
    (id_, user, server, groups, profile, mem_g, mem_l, cpu_g, cpu_l, started, stopped, ended) = row
    return UsageRecord(
        user=user,
        server=server,
        groups=_groups(groups),
        profile=profile,
        mem_guarantee=mem_g,
        mem_limit=mem_l,
        cpu_guarantee=cpu_g,
        cpu_limit=cpu_l,
        started=started,
        stopped=stopped,
        ended=ended,
        id=id_,
    )


def _bump(row) -> Bump:
    id_, user, resource, amount, expires, granted_by, granted_at, reason = row
    return Bump(
        user=user,
        resource=resource,
        amount=amount,
        expires=expires,
        granted_by=granted_by,
        granted_at=granted_at,
        reason=reason,
        id=id_,
    )


class UsageStore:
    """Records and bumps in one sqlite file."""

    def __init__(self, path: str | Path, timeout: float = 5.0):
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=timeout, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _records(self, sql: str, args: Iterable = ()) -> list[UsageRecord]:
        return [_record(r) for r in self._rows(sql, args)]

    def _rows(self, sql: str, args: Iterable = ()) -> list:
        with self._lock:
            return self._db.execute(sql, tuple(args)).fetchall()

    def _write(self, statements: list[tuple[str, tuple]]) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    self._db.execute(sql, args)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- records ----------------------------------------------------------------------------

    def add(self, record: UsageRecord) -> str:
        """Store a record (a start, or a whole past server); returns its id."""
        record_id = record.id or uuid.uuid4().hex
        statements = [
            (
                f"INSERT INTO servers ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    record_id,
                    record.user,
                    record.server,
                    json.dumps(list(record.groups)),
                    record.profile,
                    int(record.mem_guarantee),
                    int(record.mem_limit),
                    float(record.cpu_guarantee),
                    float(record.cpu_limit),
                    record.started,
                    record.stopped,
                    record.ended,
                ),
            )
        ]
        statements += [
            ("INSERT INTO server_groups (record_id, grp, stopped) VALUES (?,?,?)", (record_id, group, record.stopped))
            for group in record.groups
        ]
        self._write(statements)
        return record_id

    def add_many(self, records: Iterable[UsageRecord]) -> None:
        """Store many finished records in one transaction (imports and benchmarks)."""
        rows, group_rows = [], []
        for record in records:
            record_id = record.id or uuid.uuid4().hex
            rows.append(
                (
                    record_id,
                    record.user,
                    record.server,
                    json.dumps(list(record.groups)),
                    record.profile,
                    int(record.mem_guarantee),
                    int(record.mem_limit),
                    float(record.cpu_guarantee),
                    float(record.cpu_limit),
                    record.started,
                    record.stopped,
                    record.ended,
                )
            )
            group_rows += [(record_id, group, record.stopped) for group in record.groups]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(f"INSERT INTO servers ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            self._db.executemany("INSERT INTO server_groups (record_id, grp, stopped) VALUES (?,?,?)", group_rows)
            self._db.execute("COMMIT")

    def stop(self, record_id: str, stopped: float, ended: str) -> None:
        """Close a running record (a record already closed keeps its first stop)."""
        self._write(
            [
                (
                    "UPDATE servers SET stopped = ?, ended = ? WHERE id = ? AND stopped IS NULL",
                    (stopped, ended, record_id),
                ),
                ("UPDATE server_groups SET stopped = ? WHERE record_id = ? AND stopped IS NULL", (stopped, record_id)),
            ]
        )

    def set_ended(self, record_id: str, ended: str) -> None:
        self._write([("UPDATE servers SET ended = ? WHERE id = ?", (ended, record_id))])

    def get(self, record_id: str) -> UsageRecord | None:
        rows = self._rows(f"SELECT {COLUMNS} FROM servers WHERE id = ?", (record_id,))
        return _record(rows[0]) if rows else None

    def running_record(self, user: str, server: str) -> UsageRecord | None:
        """The open record of this server, if any (the newest)."""
        rows = self._rows(
            f"SELECT {COLUMNS} FROM servers WHERE user = ? AND stopped IS NULL AND server = ? ORDER BY started DESC",
            (user, server),
        )
        return _record(rows[0]) if rows else None

    def last_record(self, user: str, server: str) -> UsageRecord | None:
        rows = self._rows(
            f"SELECT {COLUMNS} FROM servers WHERE user = ? AND server = ? ORDER BY started DESC LIMIT 1", (user, server)
        )
        return _record(rows[0]) if rows else None

    def running(self) -> list[UsageRecord]:
        return self._records(f"SELECT {COLUMNS} FROM servers WHERE stopped IS NULL")

    def between(self, begin: float, end: float) -> list[UsageRecord]:
        """Every record that ran within [begin, end] (running ones included)."""
        return self._records(
            f"SELECT {COLUMNS} FROM servers WHERE stopped IS NULL AND started <= ? "
            f"UNION ALL SELECT {COLUMNS} FROM servers WHERE stopped >= ? AND started <= ?",
            (end, begin, end),
        )

    def of_user(self, user: str, since: float) -> list[UsageRecord]:
        """The person's records that ran after `since`."""
        return self._records(
            f"SELECT {COLUMNS} FROM servers WHERE user = ? AND stopped IS NULL "
            f"UNION ALL SELECT {COLUMNS} FROM servers WHERE user = ? AND stopped >= ?",
            (user, user, since),
        )

    def of_group(self, group: str, since: float) -> list[UsageRecord]:
        """Records of servers started by members of `group` that ran after `since`."""
        return self._records(
            f"SELECT {COLUMNS} FROM servers WHERE id IN (SELECT record_id FROM server_groups WHERE grp = ? AND "
            "(stopped IS NULL OR stopped >= ?))",
            (group, since),
        )

    def summarize(self, begin: float, end: float, now: float, step: float, *, groups=None, users=None):
        """`aggregate.summarize` of the records that ran in [begin, end], computed by sqlite (the pages' fast
        path). With `groups` or `users`, only the records of those groups' members or those people."""
        from .aggregate import NO_GROUP, Summary, Totals

        # as `aggregate.overlapping`: ran inside the window, or started inside it (a failed start: 0 hours)
        where = (
            "(s.stopped IS NULL OR s.stopped > :begin OR s.started >= :begin) AND s.started <= :end AND "
            "(min(coalesce(s.stopped, :now), :end, :now) > max(s.started, :begin) OR s.started >= :begin)"
        )
        args = {}
        if groups is not None or users is not None:
            names = sorted(groups or ())
            people = sorted(users or ())
            group_marks = ",".join(f":g{i}" for i in range(len(names))) or "NULL"
            user_marks = ",".join(f":u{i}" for i in range(len(people))) or "NULL"
            where += (
                f" AND (s.user IN ({user_marks}) OR s.id IN "
                f"(SELECT record_id FROM server_groups WHERE grp IN ({group_marks})))"
            )
            args.update({f"g{i}": n for i, n in enumerate(names)})
            args.update({f"u{i}": n for i, n in enumerate(people)})
        args.update(begin=begin, end=end, now=now, step=step)
        clipped = (
            "SELECT s.id, s.user, s.profile, s.groups, "
            "max(0.0, min(coalesce(s.stopped, :now), :end, :now) - max(s.started, :begin)) / 3600.0 AS hours, "
            "(CASE WHEN s.mem_guarantee > 0 THEN s.mem_guarantee ELSE s.mem_limit END) / 1073741824.0 AS gib, "
            "(CASE WHEN s.cpu_guarantee > 0 THEN s.cpu_guarantee ELSE s.cpu_limit END) AS cpu, "
            "s.started, min(coalesce(s.stopped, :now), :end, :now) AS stop "
            f"FROM servers s WHERE {where}"
        )
        sums = "count(*), sum(hours), sum(hours * gib), sum(hours * cpu)"

        def totals(row) -> Totals:
            return Totals(int(row[0]), row[1] or 0.0, row[2] or 0.0, row[3] or 0.0)

        with self._lock:
            db = self._db
            # the window's records, clipped, once: every table below reads this temporary table
            db.execute("DROP TABLE IF EXISTS temp.window_records")
            db.execute(f"CREATE TEMP TABLE window_records AS {clipped}", args)
            overall = totals(db.execute(f"SELECT {sums} FROM window_records").fetchone())
            by_user = {
                row[0]: totals(row[1:]) for row in db.execute(f"SELECT user, {sums} FROM window_records GROUP BY user")
            }
            by_profile = {
                row[0]: totals(row[1:])
                for row in db.execute(f"SELECT profile, {sums} FROM window_records GROUP BY profile")
            }
            # a server counts for each group its person was in: sum per distinct group list, then split
            by_group: dict[str, Totals] = {}
            for row in db.execute(f"SELECT groups, {sums} FROM window_records GROUP BY groups"):
                part = totals(row[1:])
                for group in _groups(row[0]) or (NO_GROUP,):
                    into = by_group.setdefault(group, Totals())
                    into.servers += part.servers
                    into.server_hours += part.server_hours
                    into.memory_gib_hours += part.memory_gib_hours
                    into.cpu_hours += part.cpu_hours
            series = self._series(db, begin, end, step) if step > 0 and end > begin else []
            db.execute("DROP TABLE temp.window_records")
        return Summary(overall, by_user, by_group, by_profile, series)

    @staticmethod
    def _series(db, begin: float, end: float, step: float):
        """Totals per step from `window_records`: servers inside one step summed by sqlite, the few that span
        several steps split here."""
        from .aggregate import Totals

        count = int(-(-(end - begin) // step))
        buckets = [Totals() for _ in range(count)]
        args = {"begin": begin, "step": step}
        inside = (
            "CAST((max(started, :begin) - :begin) / :step AS INTEGER) = "
            "CAST((stop - :begin) / :step AS INTEGER) AND stop > max(started, :begin)"
        )
        for index, servers, hours, gib_hours, cpu_hours in db.execute(
            "SELECT CAST((max(started, :begin) - :begin) / :step AS INTEGER), count(*), "
            "sum((stop - max(started, :begin)) / 3600.0), sum((stop - max(started, :begin)) / 3600.0 * gib), "
            f"sum((stop - max(started, :begin)) / 3600.0 * cpu) FROM window_records WHERE {inside} GROUP BY 1",
            args,
        ):
            if 0 <= index < count:
                bucket = buckets[index]
                bucket.servers += servers
                bucket.server_hours += hours
                bucket.memory_gib_hours += gib_hours
                bucket.cpu_hours += cpu_hours
        for started, stop, gib, cpu in db.execute(
            f"SELECT max(started, :begin), stop, gib, cpu FROM window_records WHERE stop > max(started, :begin) "
            f"AND NOT ({inside})",
            args,
        ):
            index = int((started - begin) // step)
            while index < count and begin + index * step < stop:
                bucket_begin = begin + index * step
                part = (min(stop, bucket_begin + step, end) - max(started, bucket_begin)) / 3600.0
                if part > 0:
                    bucket = buckets[index]
                    bucket.servers += 1
                    bucket.server_hours += part
                    bucket.memory_gib_hours += part * gib
                    bucket.cpu_hours += part * cpu
                index += 1
        return [(begin + index * step, bucket) for index, bucket in enumerate(buckets)]

    def count(self) -> int:
        return self._rows("SELECT count(*) FROM servers")[0][0]

    # -- bumps ------------------------------------------------------------------------------

    def add_bump(self, bump: Bump) -> int:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO bumps (user, resource, amount, expires, granted_by, granted_at, reason) "
                "VALUES (?,?,?,?,?,?,?)",
                (bump.user, bump.resource, bump.amount, bump.expires, bump.granted_by, bump.granted_at, bump.reason),
            )
            return cursor.lastrowid

    def revoke_bump(self, bump_id: int, by: str, at: float) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "UPDATE bumps SET revoked_by = ?, revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (by, at, bump_id)
            )
            return cursor.rowcount == 1

    def bumps_of(self, user: str, now: float) -> list[Bump]:
        """The person's bumps in force at `now`."""
        return [
            _bump(r)
            for r in self._rows(
                "SELECT id, user, resource, amount, expires, granted_by, granted_at, reason FROM bumps "
                "WHERE user = ? AND expires > ? AND granted_at <= ? AND revoked_at IS NULL",
                (user, now, now),
            )
        ]

    def bump_history(self, limit: int = 500) -> list[dict]:
        """Every bump granted, newest first, with who revoked it (the bumps' audit trail)."""
        rows = self._rows(
            "SELECT id, user, resource, amount, expires, granted_by, granted_at, reason, revoked_by, revoked_at "
            "FROM bumps ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        keys = (
            "id",
            "user",
            "resource",
            "amount",
            "expires",
            "granted_by",
            "granted_at",
            "reason",
            "revoked_by",
            "revoked_at",
        )
        return [dict(zip(keys, row)) for row in rows]
