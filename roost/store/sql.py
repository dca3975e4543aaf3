"""Small SQL helpers shared by the store modules: the one place that knows the two dialects differ."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

T = TypeVar("T")
ROWS_PER_STATEMENT = 500  # multi-row VALUES: SQLite allows 32766 bound parameters per statement, asyncpg 32767

# Every PostgreSQL connection Roost opens. Generic plans for the prepared statements: with the history partitioned
# by month (store/partitions.py), PostgreSQL's default keeps planning each execution anew (a generic plan over
# every month looks dearer than a custom one) although the executor skips the months a statement does not need
# either way; planning then cost more than the read (two-point stats: median 5.3 ms planned each time, 2.5 ms
# generic).
PG_SERVER_SETTINGS = {"plan_cache_mode": "force_generic_plan"}


def asyncpg_params(engine: Engine | AsyncEngine, application_name: str) -> dict[str, Any]:
    """Keyword arguments for `asyncpg.connect` / `create_pool` to the engine's PostgreSQL database, for a
    connection of Roost's own outside SQLAlchemy's pool, shown as `application_name` in pg_stat_activity."""
    _, params = engine.dialect.create_connect_args(engine.url)
    settings = {**PG_SERVER_SETTINGS, **params.pop("server_settings", {}), "application_name": application_name}
    return {**params, "server_settings": settings}


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


@cache
def numbered_for_sqlite(sql: str) -> str:
    """A statement written with PostgreSQL's `$1` placeholders, for SQLite."""
    return re.sub(r"\$(\d+)", r"?\1", sql)  # SQLite's numbered parameters are ?NNN


async def plain_rows(conn: AsyncConnection, sql: str, *args: Any) -> list[Sequence[Any]]:
    """The rows of one plain statement, written once with PostgreSQL's `$1` placeholders, sent straight to the
    driver (asyncpg keeps it prepared, SQLite in its statement cache). For the hot reads, where building a Core
    statement and its result rows costs more than the database's own work. For a reading connection
    (`engine.connect()`): the statement opens no transaction (one statement reads one consistent state on both
    databases), and SQLAlchemy may not have begun one of its own on the driver yet."""
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    if conn.dialect.name == "postgresql":
        return list(await driver.fetch(sql, *args))
    return list(await driver.execute_fetchall(numbered_for_sqlite(sql), args))
