"""PostgreSQL at agency scale: `snapshots` (by bucket) and `tweets` (by created_at) partitioned by UTC month, with a
DEFAULT partition as a safety net and the next months made ahead (roost/store/partitions.py, which the collector
also runs at start and daily). The conversion is generic over each table's catalog entries, so columns, indexes
and triggers added by earlier migrations (0005's NOTIFY triggers) are carried along.

Snapshots are also narrowed on PostgreSQL: `lists` and the five activity counts become 4-byte integers (a list
count and a day's posts and engagement stay far below 2^31; the copy fails rather than truncates if one does
not), and the columns are laid out widest first, so a row packs with no padding: 104 bytes of tuple instead of
128 (bench/bench_scale.py measures the bytes a snapshot).

Both databases get `maintenance`, where the retention policy notes how far it has thinned (store/retention.py).
SQLite stays unpartitioned: a single file has no use for partitions.

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-03 23:30:00
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

from roost.store import partitions

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

NARROW = ("lists", "originals", "retweet_statuses", "deleted", "retweets", "favorites")


def upgrade() -> None:
    op.create_table(
        "maintenance",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_maintenance")),
    )
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    now = int(time.time())
    partitions.rebuild(conn, "snapshots", key="bucket", types=dict.fromkeys(NARROW, "integer"), now=now)
    partitions.rebuild(conn, "tweets", key="created_at", now=now)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        now = int(time.time())
        partitions.rebuild(conn, "tweets", key=None, unkey="created_at", now=now)
        partitions.rebuild(conn, "snapshots", key=None, types=dict.fromkeys(NARROW, "bigint"), now=now)
    op.drop_table("maintenance")
