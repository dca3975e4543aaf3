"""`roost db backup` / `roost db restore` / `roost db checksum`: consistent copies taken while Roost runs.

A backup is taken inside one read snapshot of the database, and the same snapshot is counted and checksummed
(roost.store.dump): the figures go into a manifest beside the copy (`DEST.manifest.json`), so a restore can prove
it holds exactly the source as of the backup's moment, whatever the collector wrote meanwhile.

- SQLite: one read transaction on the file; the checksums are read in it and SQLite's online backup API copies
  the pages of that same snapshot (a copy that restarts on concurrent writes never finishes on a busy file; this
  one cannot be disturbed, since the snapshot does not move).
- PostgreSQL: a REPEATABLE READ transaction exports its snapshot (`pg_export_snapshot()`), `pg_dump --snapshot`
  dumps exactly it in the custom format while the transaction checksums it. `pg_dump` must be at least the
  server's major version (it refuses older servers' dumps the other way round).

A restore goes into an empty database only (no Roost data in it), all or nothing, then migrates it to this
version's schema and checks the manifest.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import StaticPool

from roost.services import pgtools
from roost.services.pgtools import BackupError
from roost.store import dump
from roost.store.db import create_engine, normalize_url
from roost.store.migrate import current_revision, downgrade, head_revision, upgrade

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
MANIFEST_SUFFIX = ".manifest.json"
Progress = Callable[[int, int], None]  # (done, total) pages or tables


class _Stopped(Exception):
    """Raised inside SQLite's page copy to abandon it when the process is asked to stop."""


@dataclass(frozen=True)
class Manifest:
    """What a backup holds: the database kind, its schema revision, the moment of its snapshot, every table's count
    and checksum at that moment."""

    database: str
    revision: str | None
    as_of: int
    tables: dict[str, dump.TableSum]

    def to_bytes(self) -> bytes:
        doc = {
            "format": "roost-backup/1",
            "database": self.database,
            "revision": self.revision,
            "asOf": self.as_of,
            "tables": {name: s.as_json() for name, s in self.tables.items()},
        }
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        doc = orjson.loads(path.read_bytes())
        sums = {k: dump.TableSum(k, int(v["rows"]), str(v["checksum"])) for k, v in doc["tables"].items()}
        return cls(str(doc["database"]), doc.get("revision"), int(doc["asOf"]), sums)

    def differences(self, found: list[dump.TableSum]) -> list[str]:
        """Tables whose count or checksum differ from `found` (empty when they all agree)."""
        have = {s.name: s for s in found}
        bad = []
        for name, want in self.tables.items():
            got = have.get(name)
            if got is None or (got.rows, got.checksum) != (want.rows, want.checksum):
                bad.append(f"{name} ({want.rows} rows in the backup, {got.rows if got else 'no table'} here)")
        return bad


def manifest_path(dest: Path) -> Path:
    return dest.with_name(dest.name + MANIFEST_SUFFIX)


def sqlite_path(url: str | URL) -> Path | None:
    """The file of a SQLite URL, or None for PostgreSQL."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:" or parsed.database.startswith("file:"):
        raise BackupError("backups need a SQLite file (not an in-memory database)")
    return Path(parsed.database).expanduser()


# --- checksums of a live database ----------------------------------------------------------------------------------


async def checksums(engine: AsyncEngine) -> list[dump.TableSum]:
    """Every table's count and checksum, all read in one transaction (one moment, even while others write)."""
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                return await conn.run_sync(dump.table_sums)
        await conn.exec_driver_sql("BEGIN")  # reads open no transaction by default (store/db.py)
        try:
            return await conn.run_sync(dump.table_sums)
        finally:
            await conn.exec_driver_sql("ROLLBACK")


# --- backup ----------------------------------------------------------------------------------------------------------


def _sqlite_backup(source: Path, partial: Path, stop: threading.Event, progress: Progress | None) -> Manifest:
    """Copy `source` into `partial` from one read snapshot, checksumming that snapshot first (runs in a thread)."""
    src = sqlite3.connect(source, isolation_level=None, check_same_thread=False)
    try:
        src.execute("PRAGMA busy_timeout=30000")
        reader = create_sync_engine("sqlite://", creator=lambda: src, poolclass=StaticPool)
        with reader.connect() as conn:
            # After SQLAlchemy's first-connect work (which ends with a rollback): the read snapshot starts here.
            src.execute("BEGIN")
            src.execute("SELECT count(*) FROM sqlite_master").fetchone()
            revision = _revision(conn)
            sums = dump.table_sums(conn) if revision is not None else []
            as_of = int(conn.execute(text("SELECT CAST(strftime('%s','now') AS INTEGER)")).scalar_one())

            def step(_status: int, remaining: int, total: int) -> None:
                if stop.is_set():
                    raise _Stopped
                if progress is not None:
                    progress(total - remaining, total)

            dst = sqlite3.connect(partial)
            try:
                src.backup(dst, pages=4096, progress=step)  # the same connection: the same snapshot
            finally:
                dst.close()
        return Manifest("sqlite", revision, as_of, {s.name: s for s in sums})
    finally:
        src.close()


def _revision(conn: Connection) -> str | None:
    if not conn.dialect.has_table(conn, "alembic_version"):
        return None
    value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if value is None else str(value)


async def _postgres_backup(url: URL, partial: Path, stop: asyncio.Event, now: int) -> Manifest:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                await pgtools.check_client(conn, "pg_dump")
                snapshot = str((await conn.execute(text("SELECT pg_export_snapshot()"))).scalar_one())
                target, env = pgtools.libpq(url)
                proc = await asyncio.create_subprocess_exec(
                    "pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                    f"--file={partial}", f"--dbname={target}",
                    env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
                )  # fmt: skip
                try:
                    revision = await conn.run_sync(_revision)
                    sums = await conn.run_sync(dump.table_sums) if revision is not None else []
                finally:
                    await pgtools.wait(proc, stop, "pg_dump")  # the snapshot must outlive pg_dump's use of it
        return Manifest("postgresql", revision, now, {s.name: s for s in sums})
    finally:
        await engine.dispose()


def _check_dest(dest: Path) -> None:
    if dest.exists():
        raise BackupError(f"{dest} already exists; choose a new file name")
    if not dest.parent.is_dir():
        raise BackupError(f"{dest.parent} is not a directory")


async def backup(
    url: str | URL,
    dest: Path,
    *,
    now: int,
    stop: asyncio.Event | None = None,
    progress: Progress | None = None,
) -> Manifest:
    """Back the database up into `dest` (which must not exist) and write its manifest beside it. The copy is
    written under a temporary name and renamed at the end, so `dest` is never a partial backup."""
    stop = stop or asyncio.Event()
    _check_dest(dest)
    partial = dest.with_name(f".{dest.name}.partial")
    partial.unlink(missing_ok=True)
    source = sqlite_path(url)
    try:
        if source is not None:
            if not source.is_file():
                raise BackupError(f"{source} does not exist")
            flag = threading.Event()
            watcher = asyncio.ensure_future(_relay(stop, flag))
            try:
                manifest = await asyncio.to_thread(_sqlite_backup, source, partial, flag, progress)
            except _Stopped:
                raise BackupError("the backup was stopped before it finished") from None
            finally:
                watcher.cancel()
        else:
            manifest = await _postgres_backup(normalize_url(url), partial, stop, now)
        if manifest.revision is None:
            raise BackupError("the database is empty (no Roost schema): nothing to back up")
        manifest_path(dest).write_bytes(manifest.to_bytes())
        partial.rename(dest)
        return manifest
    finally:
        partial.unlink(missing_ok=True)


async def _relay(stop: asyncio.Event, flag: threading.Event) -> None:
    await stop.wait()
    flag.set()


# --- restore ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Restored:
    kind: str
    revision: str | None  # the backup's schema revision
    verified: bool  # the manifest's counts and checksums matched
    tables: list[dump.TableSum]


def backup_kind(src: Path) -> str:
    if not src.is_file():
        raise BackupError(f"{src} does not exist")
    try:
        with src.open("rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise BackupError(f"cannot read {src}: {exc.strerror or exc}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{src} is not a Roost backup (neither a SQLite file nor a pg_dump custom-format archive)")


async def _require_empty(url: str | URL) -> bool:
    """Refuse a database holding any Roost row. True when it has Roost's (empty) tables, which are dropped first."""
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            revision = await conn.run_sync(_revision)
            if revision is None:
                names = [n for n in await conn.run_sync(_table_names) if n != "alembic_version"]
                if names:
                    raise BackupError(f"the target database is not empty (it has tables: {', '.join(names[:5])})")
                await conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")  # Alembic's, left empty
                await conn.commit()
                return False
            busy = await conn.run_sync(dump.tables_with_rows)
    finally:
        await engine.dispose()
    if busy:
        raise BackupError(
            f"the target database is not empty ({', '.join(busy)} have rows): restore into a new, empty database"
        )
    return True


def _table_names(conn: Connection) -> list[str]:
    return list(conn.dialect.get_table_names(conn))


def _sqlite_restore(src: Path, target: Path) -> None:
    source = sqlite3.connect(f"file:{src}?mode=ro&immutable=1", uri=True)  # immutable: no -shm beside it
    try:
        dst = sqlite3.connect(target)
        try:
            source.backup(dst)
        finally:
            dst.close()
    finally:
        source.close()


async def restore(url: str | URL, src: Path, *, stop: asyncio.Event | None = None) -> Restored:
    """Load the backup `src` into the empty database `url`, migrate it to this version, check its manifest."""
    kind = backup_kind(src)
    target = sqlite_path(url)
    if (kind == "sqlite") != (target is not None):
        where = "SQLite" if target is not None else "PostgreSQL"
        raise BackupError(
            f"{src} is a {kind} backup and cannot be restored into {where}"
            + (": restore it into SQLite, then move it with `roost db copy --to URL`" if kind == "sqlite" else "")
        )
    if await _require_empty(url):
        await downgrade(url, "base")  # Roost's empty tables: the backup brings its own
        await _require_empty(url)  # and Alembic's own table, left behind empty
    if target is not None:
        for leftover in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
            leftover.unlink(missing_ok=True)
        await asyncio.to_thread(_sqlite_restore, src, target)
    else:
        await _pg_restore(normalize_url(url), src, stop or asyncio.Event())
    manifest_file = manifest_path(src)
    manifest = Manifest.load(manifest_file) if manifest_file.is_file() else None
    engine = create_engine(url)
    try:
        found = await checksums(engine)
    finally:
        await engine.dispose()
    revision = await current_revision(url)
    verified = False
    if manifest is not None and manifest.revision == revision == head_revision():
        bad = manifest.differences(found)
        if bad:
            raise BackupError(f"the restored database differs from the backup's manifest: {'; '.join(bad[:3])}")
        verified = True
    await upgrade(url)
    return Restored(kind, revision, verified, found)


async def _pg_restore(url: URL, src: Path, stop: asyncio.Event) -> None:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            await pgtools.check_client(conn, "pg_restore")
    finally:
        await engine.dispose()
    target, env = pgtools.libpq(url)
    proc = await asyncio.create_subprocess_exec(
        "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
        f"--dbname={target}", str(src),
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    await pgtools.wait(proc, stop, "pg_restore")
