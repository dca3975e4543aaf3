"""Spending: the meter's billable reads (one row per resource and UTC day, as X bills), the upstream pauses shared
by every process (a reached post cap, spent credits), and the budget's decisions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "x_usage",
        sa.Column("day", sa.BigInteger(), nullable=False),
        sa.Column("resource", sa.String(8), nullable=False),
        sa.Column("resource_id", sa.BigInteger(), nullable=False),
        sa.Column("endpoint", sa.String(48), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("x_user_id", sa.BigInteger(), nullable=True),
        sa.Column("read_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "resource", "resource_id", name="pk_x_usage"),
    )
    op.create_index("ix_x_usage_day_purpose", "x_usage", ["day", "purpose"])
    op.create_index("ix_x_usage_x_user_day", "x_usage", ["x_user_id", "day"])
    op.create_table(
        "upstream_pauses",
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("since", sa.BigInteger(), nullable=False),
        sa.Column("until", sa.BigInteger(), nullable=True),
        sa.Column("probe_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("kind", name="pk_upstream_pauses"),
    )
    op.create_table(
        "budget_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_budget_decisions"),
    )
    op.create_index("ix_budget_decisions_purpose_id", "budget_decisions", ["purpose", "id"])


def downgrade() -> None:
    op.drop_table("budget_decisions")
    op.drop_table("upstream_pauses")
    op.drop_table("x_usage")
