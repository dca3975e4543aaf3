"""PostgreSQL: the history tables (`snapshots` by bucket, `tweets` by created_at) partitioned by UTC month.

Why: at agency scale (10,000 accounts hourly is 87.6 million snapshots a year) one table makes every maintenance
step a whole-table step. Monthly partitions let the retention policy rewrite one closed month at a time
(store/retention.py), keep the hot month's indexes small, and let a backup or a vacuum work a month at a time.
Reads are unchanged: every statement names its user and a bucket range, and PostgreSQL prunes the months outside it.

Partitions are made ahead by Roost itself (`ensure`, run by migration 0009 and by the collector at start and
daily), so no cron is needed. A DEFAULT partition is the safety net: a row for a month with no partition yet (an
import of old history, a clock far ahead) lands there instead of failing, and `ensure` moves such rows into a
partition of their own the next time it runs. SQLite is not partitioned; everything here is a no-op for it.

`rebuild` is the conversion, written over the table's catalog entries rather than a column list, so a column
another migration added before it is carried along: columns (types, NOT NULL, defaults), constraints, indexes and
triggers (migration 0005's statement-level NOTIFY triggers) are read from the catalog and recreated on the new
table, and primary keys and unique constraints get the partition key appended, as PostgreSQL requires.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection

PARTITION_KEYS: dict[str, str] = {"snapshots": "bucket", "tweets": "created_at"}
MONTHS_AHEAD = 3  # partitions kept ready beyond the current month
LOCK_TIMEOUT = "5s"  # DDL waits at most this long for running reads, so it never queues every new read behind it
_ALIGN_ORDER = {"d": 0, "i": 1, "s": 2, "c": 3}  # 8-, 4-, 2-, 1-byte aligned


_PARTITION = re.compile(r"^(snapshots|tweets)_(p\d{6}|default)$")


def is_partition(name: str) -> bool:
    """Whether `name` is one of the month (or DEFAULT) partitions made here, not a declared table."""
    return _PARTITION.match(name) is not None


def month_start(ts: int) -> int:
    """The first second of ts's UTC month."""
    day = datetime.fromtimestamp(ts, UTC)
    return int(datetime(day.year, day.month, 1, tzinfo=UTC).timestamp())


def add_months(start: int, months: int) -> int:
    """The first second of the UTC month `months` after the month starting at `start`."""
    day = datetime.fromtimestamp(start, UTC)
    index = day.year * 12 + day.month - 1 + months
    return int(datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC).timestamp())


def partition_name(table: str, start: int) -> str:
    day = datetime.fromtimestamp(start, UTC)
    return f"{table}_p{day.year:04d}{day.month:02d}"


def is_partitioned(conn: Connection, table: str) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    found = conn.execute(
        text("SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid WHERE c.relname = :t"),
        {"t": table},
    ).first()
    return found is not None


@dataclass(frozen=True, slots=True)
class Month:
    """One month partition: its name and its range [start, end)."""

    name: str
    start: int
    end: int


def months(conn: Connection, table: str) -> list[Month]:
    """The month partitions of `table`, oldest first (the DEFAULT partition is not one)."""
    rows = conn.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = CAST(:t AS regclass)"
        ),
        {"t": table},
    ).all()
    found = []
    for name, bound in rows:
        values = re.findall(r"'?(-?\d+)'?\)", bound)
        if bound != "DEFAULT" and len(values) == 2:
            found.append(Month(name, int(values[0]), int(values[1])))
    return sorted(found, key=lambda m: m.start)


def _create_month(conn: Connection, table: str, start: int) -> None:
    end = add_months(start, 1)
    conn.execute(
        text(f"CREATE TABLE {partition_name(table, start)} PARTITION OF {table} FOR VALUES FROM ({start}) TO ({end})")
    )


def _evacuate_default(conn: Connection, table: str, key: str) -> list[str]:
    """Rows that landed in the DEFAULT partition get a month partition of their own: the rows are copied into a
    new table, deleted from the default, and the table attached (which checks the default holds none of its range)."""
    default = f"{table}_default"
    if conn.execute(text(f"SELECT 1 FROM {default} LIMIT 1")).first() is None:
        return []
    # The caller holds the whole table (ensure): no insert is routed to the DEFAULT partition between the copy and
    # the attach, which would otherwise fail its partition constraint after it, in another process.
    starts = conn.execute(
        text(
            f"SELECT DISTINCT CAST(extract(epoch FROM date_trunc('month', to_timestamp({key}) AT TIME ZONE 'UTC')) "
            f"AS bigint) FROM {default}"
        )
    ).scalars()
    made = []
    for start in sorted(starts):
        name, end = partition_name(table, start), add_months(start, 1)
        conn.execute(text(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS)"))
        moved = f"{key} >= {start} AND {key} < {end}"
        conn.execute(text(f"INSERT INTO {name} SELECT * FROM {default} WHERE {moved}"))
        conn.execute(text(f"DELETE FROM {default} WHERE {moved}"))
        conn.execute(text(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM ({start}) TO ({end})"))
        made.append(name)
    return made


def ensure(conn: Connection, *, now: int, ahead: int = MONTHS_AHEAD) -> list[str]:
    """Make sure each partitioned table has a partition for every month from the current one to `ahead` months
    on, and none of its rows wait in the DEFAULT partition. Returns the partitions it made. Safe to run from several
    processes (the caller holds the maintenance lock) and idempotent."""
    made: list[str] = []
    for table, key in PARTITION_KEYS.items():
        if not is_partitioned(conn, table):
            continue
        conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        first = month_start(now)
        have = {m.start for m in months(conn, table)}
        missing = [start for start in (add_months(first, k) for k in range(ahead + 1)) if start not in have]
        crowded = conn.execute(text(f"SELECT 1 FROM {table}_default LIMIT 1")).first() is not None
        if not missing and not crowded:
            continue
        # The whole table first: every reader and writer locks the parent before its partitions, and making or
        # attaching a partition locks the DEFAULT one too, so taking a partition's lock before the parent's could
        # close a cycle with a writer (a deadlock). Held for the few DDL statements of a month, about once a month.
        conn.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        made += _evacuate_default(conn, table, key)
        have = {m.start for m in months(conn, table)}
        for start in missing:
            if start not in have:
                _create_month(conn, table, start)
                made.append(partition_name(table, start))
    return made


# --- the conversion -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    type: str
    not_null: bool
    default: str | None
    align: str
    length: int

    def ddl(self) -> str:
        default = f" DEFAULT {self.default}" if self.default is not None else ""
        return f'"{self.name}" {self.type}{" NOT NULL" if self.not_null else ""}{default}'


def _columns(conn: Connection, table: str, types: Mapping[str, str]) -> list[_Column]:
    rows = conn.execute(
        text(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid) "
            "FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE a.attrelid = CAST(:t AS regclass) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
        ),
        {"t": table},
    ).all()
    found = []
    for name, type_, not_null, default in rows:
        type_ = types.get(name, type_)
        align, length = conn.execute(
            text("SELECT CAST(typalign AS text), typlen FROM pg_type WHERE oid = CAST(:ty AS regtype)"), {"ty": type_}
        ).one()
        found.append(_Column(name, type_, not_null, default, align, length))
    return found


def _rekeyed(definition: str, *, add: str | None, drop: str | None) -> str:
    """PRIMARY KEY / UNIQUE (a, b) -> (a, b, add) unless `add` is in it already; `drop` taken out (what a
    conversion back to a plain table undoes)."""
    match = re.match(r"^(PRIMARY KEY|UNIQUE) \((.*?)\)(.*)$", definition)
    if match is None:
        return definition
    columns = [c.strip() for c in match.group(2).split(",")]
    if add is not None and add not in columns:
        columns.append(add)
    if drop is not None and drop in columns and len(columns) > 1:
        columns.remove(drop)
    return f"{match.group(1)} ({', '.join(columns)}){match.group(3)}"


def rebuild(
    conn: Connection,
    table: str,
    *,
    key: str | None,
    types: Mapping[str, str] | None = None,
    unkey: str | None = None,
    now: int,
    ahead: int = MONTHS_AHEAD,
) -> None:
    """Rebuild `table` with every row, as a table partitioned by month on `key` (None: a plain table again).

    Generic over the table's catalog entries (see the module docstring). Columns are laid out widest alignment
    first, so fixed-width columns pack without padding; `types` narrows named columns (the copy fails, rather
    than truncates, if a value does not fit); `unkey` is a partition key to take out of the primary key again.
    Runs inside the caller's transaction."""
    types = types or {}
    cols = sorted(_columns(conn, table, types), key=lambda c: (c.length < 0, _ALIGN_ORDER.get(c.align, 4)))
    oid = {"t": table}
    constraints = conn.execute(
        text(
            "SELECT conname, CAST(contype AS text), pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = CAST(:t AS regclass) AND conparentid = 0 ORDER BY contype = 'f', conname"
        ),
        oid,
    ).all()
    referencing = conn.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE confrelid = CAST(:t AS regclass) AND conrelid <> confrelid AND conparentid = 0"
        ),
        oid,
    ).all()
    indexes = (
        conn.execute(
            text(
                "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = CAST(:t AS regclass) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)"
            ),
            oid,
        )
        .scalars()
        .all()
    )
    triggers = (
        conn.execute(
            text(
                "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
                "WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal"
            ),
            oid,
        )
        .scalars()
        .all()
    )

    staged = f"{table}__rebuilt"
    spec = ", ".join(c.ddl() for c in cols)
    conn.execute(text(f"CREATE TABLE {staged} ({spec})" + (f" PARTITION BY RANGE ({key})" if key else "")))
    if key:
        conn.execute(text(f"CREATE TABLE {table}_default PARTITION OF {staged} DEFAULT"))
        starts = conn.execute(
            text(
                f"SELECT DISTINCT CAST(extract(epoch FROM date_trunc('month', to_timestamp({key}) AT TIME ZONE 'UTC'))"
                f" AS bigint) FROM {table}"
            )
        ).scalars()
        first = month_start(now)
        for start in sorted(set(starts) | {add_months(first, k) for k in range(ahead + 1)}):
            end = add_months(start, 1)
            name = partition_name(table, start)
            conn.execute(text(f"CREATE TABLE {name} PARTITION OF {staged} FOR VALUES FROM ({start}) TO ({end})"))
    names = ", ".join(f'"{c.name}"' for c in cols)
    conn.execute(text(f"INSERT INTO {staged} ({names}) SELECT {names} FROM {table}"))
    for referrer, name, _ in referencing:
        conn.execute(text(f"ALTER TABLE {referrer} DROP CONSTRAINT {name}"))
    conn.execute(text(f"DROP TABLE {table}"))  # its partitions, indexes, constraints and triggers with it
    conn.execute(text(f"ALTER TABLE {staged} RENAME TO {table}"))
    for name, kind, definition in constraints:
        if kind in ("p", "u"):
            definition = _rekeyed(definition, add=key, drop=unkey)
        conn.execute(text(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"))
    for definition in indexes:
        conn.execute(text(definition.replace(" ONLY ", " ")))
    for definition in triggers:
        conn.execute(text(definition))
    for referrer, name, definition in referencing:
        conn.execute(text(f"ALTER TABLE {referrer} ADD CONSTRAINT {name} {definition}"))
    conn.execute(text(f"ANALYZE {table}"))


# --- rewriting a closed month ------------------------------------------------------------------------------------

SORT_KEYS: dict[str, str] = {"snapshots": "x_user_id, bucket", "tweets": "author_id, created_at"}


def rewrite_month(conn: Connection, table: str, month: Month, *, keep: str | None = None) -> int:
    """Rewrite one month partition in its reading order (`SORT_KEYS`: a user's series becomes a few contiguous
    pages, and the indexes are built packed), keeping only the rows matching the SQL condition `keep` (all when
    None). Returns the rows kept.

    Writers to the table wait while it is copied (readers go on); the swap itself (detach, rename, attach) takes
    the parent's exclusive lock only for catalog changes: the copy is built with the parent's indexes, foreign keys
    and a CHECK matching the range beforehand, so the attach neither builds nor validates anything."""
    key = PARTITION_KEYS[table]
    conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    # The parent first, then the month: writers lock the parent before a partition, so a writer holding the parent
    # while waiting for this month, and this swap waiting for the parent, would be a deadlock. Writers to the table
    # wait while the month is copied (readers go on); a closed month is rewritten once.
    conn.execute(text(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))
    conn.execute(text(f"LOCK TABLE {month.name} IN SHARE MODE"))
    staged = f"{month.name}__rw"
    conn.execute(text(f"CREATE TABLE {staged} (LIKE {table} INCLUDING DEFAULTS INCLUDING INDEXES)"))
    where = f" WHERE {keep}" if keep else ""
    kept = conn.execute(
        text(f"INSERT INTO {staged} SELECT * FROM {month.name}{where} ORDER BY {SORT_KEYS[table]}")
    ).rowcount
    foreign = conn.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = CAST(:t AS regclass) AND contype = 'f'"
        ),
        {"t": table},
    ).all()
    for name, definition in foreign:
        conn.execute(text(f"ALTER TABLE {staged} ADD CONSTRAINT {name} {definition} NOT VALID"))
        conn.execute(text(f"ALTER TABLE {staged} VALIDATE CONSTRAINT {name}"))
    bound = f"{staged}_range"
    conn.execute(
        text(f"ALTER TABLE {staged} ADD CONSTRAINT {bound} CHECK ({key} >= {month.start} AND {key} < {month.end})")
    )
    conn.execute(text(f"ALTER TABLE {table} DETACH PARTITION {month.name}"))
    conn.execute(text(f"DROP TABLE {month.name}"))
    conn.execute(text(f"ALTER TABLE {staged} RENAME TO {month.name}"))
    conn.execute(
        text(f"ALTER TABLE {table} ATTACH PARTITION {month.name} FOR VALUES FROM ({month.start}) TO ({month.end})")
    )
    conn.execute(text(f"ALTER TABLE {month.name} DROP CONSTRAINT {bound}"))
    conn.execute(text(f"ANALYZE {month.name}"))
    return int(kept)
