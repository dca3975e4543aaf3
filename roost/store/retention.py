"""The retention policy (`ROOST_RETENTION_HOURLY_MONTHS`, off by default): hourly snapshots are kept for N months,
and before that only each UTC day's close, the last good snapshot of the day (the last one no count of which the
glitch rule, `analytics.flag_glitches`, flags; the day's last snapshot when every one is flagged).

Why these rows: growth by day, week or month reads, for each period, the last good value inside it; a day's close
is exactly that, so those answers are unchanged for every period, and stats over the months still hourly are
untouched. Two years of 10,000 accounts shrink from 175 to about 80 million snapshots with N = 12.

The cut is month-aligned (the first second of the UTC month N months before the current one), so on PostgreSQL a
thinned month is one partition rewritten with its closes (`partitions.rewrite_month`: the space goes back to the
system at once, no bloat left for VACUUM), and on SQLite a DELETE in batches of users, a transaction each. How far
it has thinned is noted in `maintenance`, so each month is read once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import and_, delete, select, text
from sqlalchemy.engine import Connection

from roost.core.analytics import METRICS, Series, flag_glitches
from roost.store import partitions
from roost.store.schema import maintenance, snapshots
from roost.store.sql import dialect_insert

DAY = 86400
MARK = "retention.snapshots"
CONTEXT = 2 * DAY  # snapshots read on either side of a month, so the glitch rule sees what it needs at its edges
USERS_PER_BATCH = 200  # SQLite: users thinned per transaction
USERS_PER_READ = 500  # users whose month is read at once


def cutoff(now: int, hourly_months: int) -> int:
    """Snapshots before this keep only their day's close."""
    return partitions.add_months(partitions.month_start(now), -hourly_months)


def closes(buckets: Sequence[int], values: Mapping[str, Sequence[int]], lo: int, hi: int) -> list[int]:
    """The buckets to keep of one user's series (oldest first) inside [lo, hi): each UTC day's last good one."""
    series = Series(buckets=buckets, values={m: values[m] for m in METRICS})
    bad = {g.bucket for g in flag_glitches(series)}
    chosen: dict[int, tuple[bool, int]] = {}  # day -> (good, bucket): a good bucket beats any flagged one
    for bucket in buckets:
        if lo <= bucket < hi:
            good = bucket not in bad
            day = bucket - bucket % DAY
            best = chosen.get(day)
            if best is None or (good, bucket) > best:
                chosen[day] = (good, bucket)
    return sorted(bucket for _, bucket in chosen.values())


def _users(rows: Iterable[Sequence[Any]]) -> Iterable[tuple[int, list[int], dict[str, list[int]]]]:
    """Rows (x_user_id, bucket, *METRICS) ordered by user and bucket, grouped into one series per user."""
    current: int | None = None
    buckets: list[int] = []
    values: dict[str, list[int]] = {m: [] for m in METRICS}
    for row in rows:
        if row[0] != current:
            if current is not None:
                yield current, buckets, values
            current, buckets, values = row[0], [], {m: [] for m in METRICS}
        buckets.append(row[1])
        for m, v in zip(METRICS, row[2:], strict=True):
            values[m].append(v)
    if current is not None:
        yield current, buckets, values


def _kept(conn: Connection, lo: int, hi: int) -> Iterable[tuple[int, list[int]]]:
    """Each user with snapshots in [lo, hi) and the buckets of it to keep, read a batch of users at a time (a
    month of 10,000 users is 7.2 million rows: never all in memory)."""
    in_month = and_(snapshots.c.bucket >= lo, snapshots.c.bucket < hi)
    users = list(conn.execute(select(snapshots.c.x_user_id).where(in_month).distinct()).scalars())
    users.sort()
    for start in range(0, len(users), USERS_PER_READ):
        batch = users[start : start + USERS_PER_READ]
        query = (
            select(snapshots.c.x_user_id, snapshots.c.bucket, *(snapshots.c[m] for m in METRICS))
            .where(
                snapshots.c.x_user_id.in_(batch),
                snapshots.c.bucket >= lo - CONTEXT,
                snapshots.c.bucket < hi + CONTEXT,
            )
            .order_by(snapshots.c.x_user_id, snapshots.c.bucket)
        )
        for user, buckets, values in _users(conn.execute(query).all()):
            keep = closes(buckets, values, lo, hi)
            if keep:
                yield user, keep


def mark(conn: Connection) -> int | None:
    row = conn.execute(select(maintenance.c.value).where(maintenance.c.name == MARK)).first()
    return None if row is None else int(row[0])


def _set_mark(conn: Connection, value: int) -> None:
    stmt = dialect_insert(conn, maintenance).values(name=MARK, value=value)  # type: ignore[arg-type]
    conn.execute(stmt.on_conflict_do_update(index_elements=[maintenance.c.name], set_={"value": value}))


def _oldest(conn: Connection) -> int | None:
    """The first month holding a snapshot (PostgreSQL: the oldest non-empty partition; no index serves min(bucket))."""
    if partitions.is_partitioned(conn, "snapshots"):
        for month in partitions.months(conn, "snapshots"):
            if conn.execute(text(f"SELECT 1 FROM {month.name} LIMIT 1")).first():
                return month.start
        return None
    first = conn.execute(select(snapshots.c.bucket).order_by(snapshots.c.bucket).limit(1)).scalar()
    return None if first is None else partitions.month_start(int(first))


def kept_in(conn: Connection, start: int) -> list[tuple[int, list[int]]]:
    """SQLite: each user with snapshots in the month starting at `start`, and the buckets of it to keep."""
    return list(_kept(conn, start, partitions.add_months(start, 1)))


def delete_unkept(conn: Connection, start: int, users: Sequence[tuple[int, list[int]]]) -> int:
    """SQLite: delete what is not kept of these users' snapshots in the month starting at `start` (one batch)."""
    lo, hi = start, partitions.add_months(start, 1)
    removed = 0
    for user, keep in users:
        cut = delete(snapshots).where(
            snapshots.c.x_user_id == user,
            snapshots.c.bucket >= lo,
            snapshots.c.bucket < hi,
            snapshots.c.bucket.not_in(keep),
        )
        removed += conn.execute(cut).rowcount
    return removed


def _thin_postgres(conn: Connection, month: partitions.Month) -> int:
    before = conn.execute(text(f"SELECT count(*) FROM {month.name}")).scalar_one()
    conn.execute(text("CREATE TEMP TABLE roost_kept (x_user_id bigint, bucket bigint) ON COMMIT DROP"))
    pairs = [(user, bucket) for user, keep in _kept(conn, month.start, month.end) for bucket in keep]
    for start in range(0, len(pairs), 5000):
        conn.execute(
            text("INSERT INTO roost_kept SELECT * FROM unnest(CAST(:u AS bigint[]), CAST(:b AS bigint[]))"),
            {"u": [p[0] for p in pairs[start : start + 5000]], "b": [p[1] for p in pairs[start : start + 5000]]},
        )
    kept = partitions.rewrite_month(
        conn, "snapshots", month, keep="(x_user_id, bucket) IN (SELECT x_user_id, bucket FROM roost_kept)"
    )
    return int(before) - kept


def thin_partition(conn: Connection, start: int) -> int:
    """PostgreSQL: thin the month partition starting at `start` down to daily closes, in the caller's
    transaction; returns the snapshots removed."""
    month = next((m for m in partitions.months(conn, "snapshots") if m.start == start), None)
    return 0 if month is None else _thin_postgres(conn, month)


def due_months(conn: Connection, *, now: int, hourly_months: int) -> list[int]:
    """The month starts not yet thinned that the policy wants thinned."""
    cut = cutoff(now, hourly_months)
    first = mark(conn)
    if first is None:
        first = _oldest(conn)
    if first is None:
        return []
    out = []
    month = first
    while month < cut:
        out.append(month)
        month = partitions.add_months(month, 1)
    return out


def done(conn: Connection, start: int) -> None:
    """Note that every month before the one after `start` is thinned."""
    _set_mark(conn, partitions.add_months(start, 1))
