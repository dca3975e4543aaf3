"""History imported from elsewhere (Tweet Binder's API, a Roost account archive): `snapshots.imported_at` marks a
snapshot that was imported rather than collected (the dashboard and the exports say so), and `import_cursors`
keeps where each Tweet Binder import left off, per account, upstream API and upstream tracker.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-03 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("snapshots") as batch:
        batch.add_column(sa.Column("imported_at", sa.BigInteger(), nullable=True))
    op.create_table(
        "import_cursors",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("remote_id", sa.String(length=64), nullable=False),
        sa.Column("tracker_id", sa.String(length=36), nullable=False),
        sa.Column("last_bucket", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_import_cursors_account_id_accounts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tracker_id"], ["trackers.id"], name="fk_import_cursors_tracker_id_trackers", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("account_id", "source", "remote_id", name="pk_import_cursors"),
    )


def downgrade() -> None:
    op.drop_table("import_cursors")
    with op.batch_alter_table("snapshots") as batch:
        batch.drop_column("imported_at")
