"""Timeline archive: the timeline pass's lease on x_users, and an index for the metrics refresh.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("x_users") as batch:
        batch.add_column(sa.Column("timeline_lease_owner", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("timeline_lease_until", sa.BigInteger(), nullable=True))
    op.create_index("ix_tweets_created_at", "tweets", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tweets_created_at", table_name="tweets")
    with op.batch_alter_table("x_users") as batch:
        batch.drop_column("timeline_lease_until")
        batch.drop_column("timeline_lease_owner")
