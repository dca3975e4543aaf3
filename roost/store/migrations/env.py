"""Alembic environment: always handed a live connection by `roost.store.migrate`, never a URL from a file."""

from __future__ import annotations

from alembic import context

from roost.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through roost.store.migrate (the `roost db upgrade` command)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
