"""Small SQL helpers shared by the store modules: the one place that knows the two dialects differ."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

T = TypeVar("T")
ROWS_PER_STATEMENT = 500  # multi-row VALUES: SQLite allows 32766 bound parameters per statement, asyncpg 32767


def dialect_insert(conn: AsyncConnection, table: Table) -> postgresql.Insert:
    """INSERT with ON CONFLICT support. SQLite's and PostgreSQL's builders take the same arguments for what the
    store uses (`index_elements`, `set_`, `excluded`, `where`), so one type is declared for both."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)  # type: ignore[return-value]


def chunks(items: Sequence[T], size: int = ROWS_PER_STATEMENT) -> Iterator[Sequence[T]]:
    """`items` in slices of at most `size`, to keep a multi-row statement under the drivers' parameter limits."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
