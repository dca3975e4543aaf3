"""The snapshot claim as an index walk: x_users.collect (an active tracker follows the user), last_bucket NOT NULL
(0: never collected), and one index (collect, last_bucket, id) that the claim reads in order.

Before, each claim scanned x_users in id order past every user already done this bucket and checked for an
active tracker per row: O(users) per claim, O(users^2 / 100) per bucket.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("x_users") as batch:
        batch.add_column(sa.Column("collect", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute("UPDATE x_users SET last_bucket = 0 WHERE last_bucket IS NULL")
    op.execute(
        "UPDATE x_users SET collect = EXISTS "
        "(SELECT 1 FROM trackers WHERE trackers.x_user_id = x_users.id AND trackers.status = 'active')"
    )
    with op.batch_alter_table("x_users") as batch:
        batch.alter_column("last_bucket", existing_type=sa.BigInteger(), nullable=False, server_default=sa.text("0"))
        batch.drop_index("ix_x_users_last_bucket")
        batch.create_index("ix_x_users_due", ["collect", "last_bucket", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("x_users") as batch:
        batch.drop_index("ix_x_users_due")
        batch.create_index("ix_x_users_last_bucket", ["last_bucket"], unique=False)
        batch.alter_column("last_bucket", existing_type=sa.BigInteger(), nullable=True, server_default=None)
        batch.drop_column("collect")
