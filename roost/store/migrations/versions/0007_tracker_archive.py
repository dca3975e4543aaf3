"""A per-tracker switch for the post archive: `trackers.archive` (on for every existing tracker, as before).

The timeline pass reads an X user's posts, and the metrics refresh re-reads them, only while an active tracker
of that user archives; a tracker with the archive off costs its snapshots only (one user read a UTC day).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN with a constant default on both databases (no table rebuild on SQLite).
    op.add_column("trackers", sa.Column("archive", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("trackers") as batch:
        batch.drop_column("archive")
