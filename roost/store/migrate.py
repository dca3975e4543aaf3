"""Alembic, driven from code: `roost db upgrade` and `roost serve` call `upgrade(url)`; no alembic.ini is read,
so it works from any working directory and inside an installed package."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.engine import URL, Connection

from roost.store import locks
from roost.store.db import create_engine, transaction

MIGRATIONS = Path(__file__).parent / "migrations"


class MigrationError(RuntimeError):
    """The database is not in a state the migrations can leave it in."""


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code. `env.py` runs on the connection handed over here."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def _run(url: str | URL, action: Callable[[Config], None]) -> None:
    """Run one Alembic command in one transaction (DDL is transactional on both databases)."""
    engine = create_engine(url, foreign_keys=False, pool_size=1, max_overflow=0)
    try:
        async with transaction(engine) as conn:  # on SQLite BEGIN IMMEDIATE: a second migrator waits its turn
            if conn.dialect.name == "postgresql":  # concurrent migrators (a server and a collector starting) queue
                await conn.execute(select(func.pg_advisory_xact_lock(locks.MIGRATIONS)))
            await conn.run_sync(lambda sync: action(alembic_config(sync)))
            if conn.dialect.name == "sqlite":
                broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise MigrationError(f"migration left rows that break foreign keys: {broken[:5]}")
    finally:
        await engine.dispose()


async def upgrade(url: str | URL, revision: str = "head") -> None:
    """Bring the database to `revision` (the latest by default). Safe to call on every start."""
    await _run(url, lambda config: command.upgrade(config, revision))


async def downgrade(url: str | URL, revision: str = "base") -> None:
    """Undo migrations down to `revision` ("base" drops every table)."""
    await _run(url, lambda config: command.downgrade(config, revision))


async def current_revision(url: str | URL) -> str | None:
    """The revision the database is at, or None for an empty database."""
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
    finally:
        await engine.dispose()
