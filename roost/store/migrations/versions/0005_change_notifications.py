"""PostgreSQL notifies `roost_changes` when a statement writes trackers or snapshots, so every Roost process drops
the stats answers it keeps in memory (roost/store/changes.py). Statement-level triggers: one notification per
statement, and PostgreSQL folds identical notifications of one transaction into one, delivered at commit.
SQLite needs nothing: its readers ask the file's change counter.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 15:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("trackers", "snapshots")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION roost_notify_change() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_notify('roost_changes', TG_TABLE_NAME); RETURN NULL; END $$"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER roost_{table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION roost_notify_change()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS roost_{table}_changed ON {table}")
    op.execute("DROP FUNCTION IF EXISTS roost_notify_change()")
