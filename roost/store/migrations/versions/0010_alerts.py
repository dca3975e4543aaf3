"""Alerts (issue 22): channels, rules, rule states, events, the delivery outbox with its attempt log.
See roost/store/alert_schema.py for what each table is for.

Revision ID: 0010
Revises: 0009 (0005 as assigned; relinked as main gained 0006-0009)
Create Date: 2026-12-03 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ("alert_channels", "alert_rules", "alert_states", "alert_events", "alert_deliveries", "alert_attempts")


def upgrade() -> None:
    op.create_table(
        "alert_channels",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("secret", sa.String(100), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_channels")),
        sa.CheckConstraint("kind IN ('webhook', 'apprise', 'dashboard')", name=op.f("ck_alert_channels_kind")),
    )
    op.create_index("ix_alert_channels_account_id", "alert_channels", ["account_id"])
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("tracker_id", sa.String(36), sa.ForeignKey("trackers.id", ondelete="CASCADE"), nullable=True),
        sa.Column("tag_id", sa.String(36), sa.ForeignKey("tags.id", ondelete="CASCADE"), nullable=True),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("tracker_id IS NULL OR tag_id IS NULL", name=op.f("ck_alert_rules_scope")),
        sa.CheckConstraint(
            "kind IN ('change', 'threshold', 'unusual', 'engagement', 'state', 'stale')",
            name=op.f("ck_alert_rules_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
    )
    op.create_index("ix_alert_rules_account_id", "alert_rules", ["account_id"])
    op.create_table(
        "alert_states",
        sa.Column("rule_id", sa.String(36), sa.ForeignKey("alert_rules.id", ondelete="CASCADE"), nullable=False),
        sa.Column("subject", sa.String(40), nullable=False),
        sa.Column("firing", sa.Integer(), nullable=False),
        sa.Column("since", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("rule_id", "subject", name=op.f("pk_alert_states")),
    )
    op.create_table(
        "alert_events",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("rule_id", sa.String(36), sa.ForeignKey("alert_rules.id", ondelete="SET NULL"), nullable=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("x_user_id", sa.BigInteger(), nullable=True),
        sa.Column("tracker_id", sa.String(36), nullable=True),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("read_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_events")),
    )
    op.create_index("ix_alert_events_account_at", "alert_events", ["account_id", "at"])
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.String(48), nullable=False),
        sa.Column("event_id", sa.String(40), sa.ForeignKey("alert_events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("channel_id", sa.String(36), sa.ForeignKey("alert_channels.id", ondelete="CASCADE"), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.BigInteger(), nullable=False),
        sa.Column("first_at", sa.BigInteger(), nullable=False),
        sa.Column("lease_owner", sa.String(128), nullable=True),
        sa.Column("lease_until", sa.BigInteger(), nullable=True),
        sa.Column("done_at", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name=op.f("ck_alert_deliveries_status")),
    )
    op.create_index("ix_alert_deliveries_account", "alert_deliveries", ["account_id", "first_at"])
    op.create_index("ix_alert_deliveries_due", "alert_deliveries", ["status", "next_at"])
    op.create_table(
        "alert_attempts",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column(
            "delivery_id", sa.String(48), sa.ForeignKey("alert_deliveries.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("worker", sa.String(128), nullable=False),
        sa.Column("ok", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_attempts")),
    )
    op.create_index("ix_alert_attempts_delivery_id", "alert_attempts", ["delivery_id"])


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
