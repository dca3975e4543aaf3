"""`roost db copy --to URL`: move a SQLite database to PostgreSQL while Roost keeps running on SQLite.

The copy reads a consistent snapshot, never the live file: first an online backup of the source (the same one
`roost db backup` takes, with its manifest of counts and checksums), then every table from that file, parents
before children, in batches in primary-key order. Each batch is inserted in one PostgreSQL transaction together
with the copy's progress (a row in `roost_copy_state`, a table of the copy's own), so an interrupted copy (Ctrl-C,
a crash, a lost connection) leaves whole batches and a cursor that agrees with them: run again, it resumes from
the next batch of the same snapshot. If the snapshot file is gone, it empties what it had copied and starts over
from a new snapshot. Never a duplicate, never a partial batch.

At the end the sequences of the integer ids are moved past the copied ids, the target's counts and checksums are
compared with the snapshot's manifest, and the progress table and the snapshot file are removed.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Integer, Table, insert, text
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import StaticPool

from roost.services import backup
from roost.services.errors import ServiceError
from roost.store import dump
from roost.store.db import create_engine, normalize_url, transaction
from roost.store.migrate import upgrade

STATE = "roost_copy_state"
OnBatch = Callable[[str, int, int], None]  # (table, rows copied so far, rows in the table)


class CopyError(ServiceError):
    def __init__(self, message: str) -> None:
        super().__init__("copy_failed", message)


@dataclass(frozen=True)
class Copied:
    as_of: int  # the moment of the source's snapshot: writes after it are not in the copy
    tables: list[dump.TableSum]  # the target's, equal to the snapshot's
    resumed: bool
    target: str  # the URL to set as ROOST_DATABASE_URL (password hidden)


def snapshot_file(source: Path, target: URL) -> Path:
    """Where the copy keeps its snapshot of the source: beside it, one per target, so a rerun finds it."""
    tag = hashlib.sha256(target.render_as_string(hide_password=True).encode()).hexdigest()[:10]
    return source.with_name(f"{source.name}.copy-{tag}.db")


def _urls(source_url: str | URL, target_url: str | URL) -> tuple[Path, URL]:
    source = backup.sqlite_path(source_url)
    if source is None:
        raise CopyError("the source (ROOST_DATABASE_URL) must be a SQLite file; PostgreSQL is copied with backups")
    try:
        target = normalize_url(make_url(str(target_url)) if not isinstance(target_url, URL) else target_url)
    except Exception:
        raise CopyError(f"--to: not a database URL: {target_url}") from None
    if target.get_backend_name() != "postgresql":
        raise CopyError("--to must be a PostgreSQL URL, e.g. postgresql://user@host/roost")
    return source, target


async def _read_state(conn: AsyncConnection) -> dict[str, Any] | None:
    await conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {STATE} (id INTEGER PRIMARY KEY, state TEXT NOT NULL)")
    value = (await conn.exec_driver_sql(f"SELECT state FROM {STATE} WHERE id = 1")).scalar()
    return None if value is None else dict(orjson.loads(value))


async def _write_state(conn: AsyncConnection, state: dict[str, Any]) -> None:
    await conn.execute(
        text(f"INSERT INTO {STATE} (id, state) VALUES (1, :s) ON CONFLICT (id) DO UPDATE SET state = :s"),
        {"s": orjson.dumps(state).decode()},
    )


def _exists(path: Path) -> bool:
    return path.is_file()


def _forget(snapshot: Path) -> None:
    snapshot.unlink(missing_ok=True)
    backup.manifest_path(snapshot).unlink(missing_ok=True)


async def _start(engine: Any, source: Path, snapshot: Path, now: int) -> tuple[dict[str, Any], bool]:
    """The copy's state: resumed when an earlier run's snapshot is still there, else a new snapshot (after
    emptying what an earlier run copied from a snapshot that is gone)."""
    async with transaction(engine) as conn:
        state = await _read_state(conn)
        if state is not None and Path(state["snapshot"]) == snapshot and _exists(snapshot):
            return state, True
        if state is None:
            busy = await conn.run_sync(dump.tables_with_rows)
            if busy:
                raise CopyError(
                    f"the target database is not empty ({', '.join(busy)} have rows) and holds no interrupted copy: "
                    "copy into a new, empty PostgreSQL database"
                )
        else:  # an interrupted copy whose snapshot is gone: start over
            names = ", ".join(str(t.name) for t in reversed(dump.tables()))
            await conn.exec_driver_sql(f"TRUNCATE {names}")
            await conn.exec_driver_sql(f"DELETE FROM {STATE}")
    _forget(snapshot)
    manifest = await backup.backup(f"sqlite:///{source}", snapshot, now=now)
    state = {
        "snapshot": str(snapshot),
        "asOf": manifest.as_of,
        "manifest": {name: s.as_json() for name, s in manifest.tables.items()},
        "tables": {},
    }
    async with transaction(engine) as conn:
        await _write_state(conn, state)
    return state, False


def _rows(snapshot: Path, table: Table, after: list[Any] | None) -> Generator[list[Any], None, None]:
    reader = create_sync_engine(
        f"sqlite:///file:{snapshot}?mode=ro&uri=true",
        connect_args={"check_same_thread": False},
        poolclass=StaticPool,
    )
    try:
        with reader.connect() as conn:
            yield from dump.batches(conn, table, after=after)
    finally:
        reader.dispose()


async def _copy_table(
    engine: Any, state: dict[str, Any], table: Table, *, on_batch: OnBatch | None, stop: asyncio.Event
) -> None:
    name = str(table.name)
    progress = state["tables"].setdefault(name, {"rows": 0, "last": None, "done": False})
    total = int(state["manifest"][name]["rows"])
    if progress["done"]:
        return
    keys = [table.columns.keys().index(c.name) for c in table.primary_key.columns]
    columns = table.columns.keys()
    batches = _rows(Path(state["snapshot"]), table, progress["last"])
    try:
        while True:
            if stop.is_set():
                raise CopyError("the copy was stopped; run the same command again to resume it")
            rows = await asyncio.to_thread(next, batches, None)
            if rows is None:
                break
            progress["rows"] += len(rows)
            progress["last"] = [rows[-1][i] for i in keys]
            async with transaction(engine) as conn:
                await conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
                await _write_state(conn, state)
            if on_batch is not None:
                on_batch(name, progress["rows"], total)
    finally:
        batches.close()
    progress["done"] = True
    async with transaction(engine) as conn:
        await _write_state(conn, state)


async def _fix_sequences(engine: Any) -> None:
    """Integer ids were copied as they were: move each serial sequence past the largest, so new rows get new ids."""
    async with transaction(engine) as conn:
        for table in dump.tables():
            for column in table.primary_key.columns:
                if isinstance(column.type, Integer) and column.autoincrement is True:
                    await conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                            f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
                        )
                    )


async def copy_database(
    source_url: str | URL,
    target_url: str | URL,
    *,
    now: int,
    on_batch: OnBatch | None = None,
    stop: asyncio.Event | None = None,
) -> Copied:
    """Copy the SQLite database `source_url` into the PostgreSQL database `target_url` (migrated here first)."""
    source, target = _urls(source_url, target_url)
    if not _exists(source):
        raise CopyError(f"{source} does not exist")
    stop = stop or asyncio.Event()
    snapshot = snapshot_file(source, target)
    await upgrade(target)
    engine = create_engine(target, pool_size=2, max_overflow=0)
    try:
        state, resumed = await _start(engine, source, snapshot, now)
        for table in dump.tables():
            await _copy_table(engine, state, table, on_batch=on_batch, stop=stop)
        await _fix_sequences(engine)
        found = await backup.checksums(engine)
        want = {name: (int(v["rows"]), str(v["checksum"])) for name, v in state["manifest"].items()}
        bad = [s.name for s in found if want.get(s.name) != (s.rows, s.checksum)]
        if bad:
            raise CopyError(f"the copy differs from the source's snapshot in {', '.join(bad)}; run it again")
        async with transaction(engine) as conn:
            await conn.exec_driver_sql(f"DROP TABLE {STATE}")
    finally:
        await engine.dispose()
    _forget(snapshot)
    return Copied(int(state["asOf"]), found, resumed, target.render_as_string(hide_password=True))
