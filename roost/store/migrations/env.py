"""Alembic environment: always handed a live connection by `roost.store.migrate`, never a URL from a file."""

from __future__ import annotations

from typing import Any

from alembic import context

from roost.store.partitions import is_partition
from roost.store.schema import metadata


def include_name(name: str | None, type_: str, _parents: Any) -> bool:
    """PostgreSQL's month partitions (roost/store/partitions.py) are made at run time, not declared: the
    comparison of the declared schema with the database leaves them out."""
    return not (type_ == "table" and name is not None and is_partition(name))


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through roost.store.migrate (the `roost db upgrade` command)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
