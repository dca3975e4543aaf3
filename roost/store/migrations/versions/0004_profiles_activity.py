"""Tweet Binder's current tracker document and timeline stats: the X user's profile (bio, picture, location,
account creation) on x_users, and the posting activity stamped on each snapshot when it is collected.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PROFILE = ("description", "profile_image_url", "location")
ACTIVITY = ("originals", "retweet_statuses", "deleted", "retweets", "favorites")


def upgrade() -> None:
    with op.batch_alter_table("x_users") as batch:
        for name in PROFILE:
            batch.add_column(sa.Column(name, sa.Text(), nullable=True))
        batch.add_column(sa.Column("account_created_at", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("snapshots") as batch:
        for name in ACTIVITY:
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("snapshots") as batch:
        for name in ACTIVITY:
            batch.drop_column(name)
    with op.batch_alter_table("x_users") as batch:
        batch.drop_column("account_created_at")
        for name in PROFILE:
            batch.drop_column(name)
