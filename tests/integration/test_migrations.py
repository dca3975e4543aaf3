"""Migrations produce exactly the schema the code declares, on both databases, and can be undone."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from roost.store.db import create_engine
from roost.store.migrate import current_revision, downgrade, head_revision, upgrade
from roost.store.partitions import is_partition
from roost.store.schema import metadata


def _declared(name: str | None, type_: str, _parents: Any) -> bool:
    """PostgreSQL's month partitions are made at run time, not declared."""
    return not (type_ == "table" and name is not None and is_partition(name))


def _inspect(sync: Connection) -> dict[str, Any]:
    opts = {"compare_type": True, "compare_server_default": True, "include_name": _declared}
    context = MigrationContext.configure(sync, opts=opts)
    inspector = inspect(sync)
    tables = {t for t in inspector.get_table_names() if not is_partition(t)} - {"alembic_version"}
    return {
        "diff": compare_metadata(context, metadata),
        "tables": tables,
        # Alembic's autogenerate does not compare CHECK constraints or partial-index predicates: look ourselves.
        "checks": {(t, c["name"]) for t in tables for c in inspector.get_check_constraints(t)},
        "unique_indexes": {(t, i["name"]) for t in tables for i in inspector.get_indexes(t) if i["unique"]},
    }


async def schema_of(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_inspect)
    finally:
        await engine.dispose()


def declared_checks() -> set[tuple[str, str | None]]:
    from sqlalchemy import CheckConstraint

    return {
        (t.name, str(c.name)) for t in metadata.tables.values() for c in t.constraints if isinstance(c, CheckConstraint)
    }


async def test_migrations_build_exactly_the_declared_schema(empty_database_url: str) -> None:
    assert await current_revision(empty_database_url) is None
    await upgrade(empty_database_url)
    assert await current_revision(empty_database_url) == head_revision()
    schema = await schema_of(empty_database_url)
    assert schema["diff"] == []
    assert schema["tables"] == set(metadata.tables)
    assert schema["checks"] == declared_checks()
    assert ("trackers", "uq_trackers_active_user") in schema["unique_indexes"]


async def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    await downgrade(database_url, "base")
    assert await current_revision(database_url) is None
    assert (await schema_of(database_url))["tables"] == set()
    await upgrade(database_url)
    schema = await schema_of(database_url)
    assert schema["diff"] == [] and schema["tables"] == set(metadata.tables)


async def test_concurrent_upgrades_take_turns(empty_database_url: str) -> None:
    """A server and a collector starting together both migrate; the second finds the work done."""
    await asyncio.gather(*(upgrade(empty_database_url) for _ in range(3)))
    assert await current_revision(empty_database_url) == head_revision()
    assert (await schema_of(empty_database_url))["diff"] == []
