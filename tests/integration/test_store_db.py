"""SQLite engine behaviour: the file and its directory, pragmas, and write transactions holding the lock."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from roost.store.db import connect, create_engine, normalize_url, transaction
from roost.store.migrate import current_revision, head_revision, upgrade


def test_plain_urls_get_the_async_drivers() -> None:
    assert normalize_url("sqlite:///x.db").drivername == "sqlite+aiosqlite"
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+asyncpg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+asyncpg"
    assert normalize_url("sqlite+aiosqlite:///x.db").drivername == "sqlite+aiosqlite"


async def test_sqlite_file_directory_and_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "roost.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        async with engine.connect() as conn:
            pragmas = [
                (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            ]
    finally:
        await engine.dispose()
    assert path.exists()
    assert pragmas == ["wal", 1, 30000]


async def test_write_transactions_hold_the_sqlite_lock_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "roost.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)
    assert await current_revision(url) == head_revision()
    engine = create_engine(url)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)

    def other_writer_can_start() -> bool:
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc)
            return False
        other.execute("ROLLBACK")
        return True

    try:
        for begin in (engine.begin, lambda: transaction(engine)):
            async with begin() as conn:
                await conn.execute(text("SELECT 1"))  # only a read so far, yet the write lock is held
                assert not other_writer_can_start()
        for reader in (engine.connect, lambda: connect(engine)):
            async with reader() as conn:
                await conn.execute(text("SELECT count(*) FROM accounts"))
                assert other_writer_can_start()  # readers never block writers (WAL, deferred BEGIN)
        with pytest.raises(ZeroDivisionError):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO collector_heartbeats (worker_id, beat_at) VALUES ('w', 1)"))
                raise ZeroDivisionError
        assert other.execute("SELECT count(*) FROM collector_heartbeats").fetchone() == (0,)
    finally:
        other.close()
        await engine.dispose()


async def test_stats_reads_are_primary_key_range_scans_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'roost.db'}"
    await upgrade(url)
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            plan = (
                await conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT * FROM snapshots WHERE x_user_id = 1 AND bucket >= 0 AND bucket <= 9 "
                    "ORDER BY bucket DESC LIMIT 1"
                )
            ).all()
    finally:
        await engine.dispose()
    detail = " ".join(str(row[-1]) for row in plan)
    assert "SEARCH snapshots USING PRIMARY KEY (x_user_id=? AND bucket>? AND bucket<?)" in detail
    assert "TEMP B-TREE" not in detail  # no sort: the index order serves ORDER BY
