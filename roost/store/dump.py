"""Reading whole tables: row counts and checksums that are equal on SQLite and PostgreSQL for the same data, and
batches in key order for copies.

A checksum is over a table's rows as Python values (ints, text, booleans, None) in the order of the table's
declared columns, each row encoded as JSON and hashed with SHA-256; the row hashes are summed modulo 2**256. A sum
does not depend on the order rows come back in, so two databases whose text collations sort keys differently
still agree, and it streams: memory stays flat whatever the table's size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Table, and_, false, func, or_, select
from sqlalchemy.engine import Connection

from roost.store.schema import metadata

_MOD = 2**256
BATCH = 5000


@dataclass(frozen=True)
class TableSum:
    """A table's row count and the checksum of its rows (64 hex digits)."""

    name: str
    rows: int
    checksum: str

    def as_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "checksum": self.checksum}


def tables() -> list[Table]:
    """Every table Roost declares, parents before children (the order a copy must insert in)."""
    return list(metadata.sorted_tables)


def row_hash(row: Sequence[Any]) -> int:
    return int.from_bytes(hashlib.sha256(orjson.dumps(list(row))).digest(), "big")


def table_sum(conn: Connection, table: Table) -> TableSum:
    """Count and checksum one table, streaming its rows (a server-side cursor on PostgreSQL)."""
    total, rows = 0, 0
    query = select(*table.columns).execution_options(stream_results=True, yield_per=BATCH)
    result = conn.execute(query)
    for row in result:
        total = (total + row_hash(row)) % _MOD
        rows += 1
    return TableSum(str(table.name), rows, f"{total:064x}")


def table_sums(conn: Connection) -> list[TableSum]:
    """Every table's count and checksum, read on `conn` (inside one read transaction when the caller wants the
    figures of one moment)."""
    return [table_sum(conn, table) for table in tables()]


def count_rows(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def tables_with_rows(conn: Connection) -> list[str]:
    """The names of Roost's tables that hold any row (a database a restore or a copy must not write into)."""
    return [str(t.name) for t in tables() if count_rows(conn, t)]


def _after(table: Table, last: Sequence[Any] | None) -> Any:
    """Rows whose primary key comes after `last` in key order (a row-value comparison spelled out, which every
    database plans as a range scan of the key)."""
    if last is None:
        return None
    keys = list(table.primary_key.columns)
    clauses = []
    for i, column in enumerate(keys):
        equal = [keys[j] == last[j] for j in range(i)]
        clauses.append(and_(*equal, column > last[i]))
    return or_(false(), *clauses)


def batches(conn: Connection, table: Table, *, after: Sequence[Any] | None, size: int = BATCH) -> Iterator[list[Any]]:
    """A table's rows in primary-key order, `size` at a time, starting after the key `after` (a resumed copy)."""
    keys = list(table.primary_key.columns)
    last = after
    while True:
        query = select(*table.columns).order_by(*keys).limit(size)
        where = _after(table, last)
        if where is not None:
            query = query.where(where)
        rows = [tuple(r) for r in conn.execute(query)]
        if not rows:
            return
        yield rows
        index = [table.columns.keys().index(c.name) for c in keys]
        last = tuple(rows[-1][i] for i in index)
