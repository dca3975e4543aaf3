"""Scheduled reports and the budget rule kind (issue 22): `alert_reports`, `alert_report_runs` (primary key
(report, period start): a report goes out once per period), and 'budget' joins the kinds `alert_rules` accepts.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OLD_KINDS = ("change", "threshold", "unusual", "engagement", "state", "stale")
NEW_KINDS = (*OLD_KINDS, "budget")


def _kinds(kinds: tuple[str, ...]) -> str:
    return f"kind IN ({', '.join(repr(k) for k in kinds)})"


def _rules_table(kinds: tuple[str, ...]) -> sa.Table:
    """alert_rules as 0010 made it, with the kind check over `kinds` (SQLite's batch mode copies into it)."""
    meta = sa.MetaData()
    sa.Table("accounts", meta, sa.Column("id", sa.Integer(), primary_key=True))
    sa.Table("trackers", meta, sa.Column("id", sa.String(36), primary_key=True))
    sa.Table("tags", meta, sa.Column("id", sa.String(36), primary_key=True))
    return sa.Table(
        "alert_rules",
        meta,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("tracker_id", sa.String(36), sa.ForeignKey("trackers.id", ondelete="CASCADE"), nullable=True),
        sa.Column("tag_id", sa.String(36), sa.ForeignKey("tags.id", ondelete="CASCADE"), nullable=True),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("tracker_id IS NULL OR tag_id IS NULL", name="ck_alert_rules_scope"),
        sa.CheckConstraint(_kinds(kinds), name="ck_alert_rules_kind"),
        sa.PrimaryKeyConstraint("id", name="pk_alert_rules"),
        sa.Index("ix_alert_rules_account_id", "account_id"),
    )


def _set_kinds(kinds: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("alert_rules", recreate="always", copy_from=_rules_table(kinds)):
            pass
        return
    op.drop_constraint(op.f("ck_alert_rules_kind"), "alert_rules", type_="check")
    op.create_check_constraint(op.f("ck_alert_rules_kind"), "alert_rules", _kinds(kinds))


def upgrade() -> None:
    _set_kinds(NEW_KINDS)
    op.create_table(
        "alert_reports",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("every", sa.String(5), nullable=False),
        sa.Column("at", sa.String(5), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("tracker_ids", sa.Text(), nullable=False),
        sa.Column("channel_id", sa.String(36), sa.ForeignKey("alert_channels.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("every IN ('week', 'month')", name=op.f("ck_alert_reports_every")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_reports")),
    )
    op.create_index("ix_alert_reports_account_id", "alert_reports", ["account_id"])
    op.create_table(
        "alert_report_runs",
        sa.Column("report_id", sa.String(36), sa.ForeignKey("alert_reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("period_start", sa.BigInteger(), nullable=False),
        sa.Column("period_end", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(40), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("report_id", "period_start", name=op.f("pk_alert_report_runs")),
    )


def downgrade() -> None:
    op.drop_table("alert_report_runs")
    op.drop_table("alert_reports")
    op.execute("DELETE FROM alert_rules WHERE kind = 'budget'")
    _set_kinds(OLD_KINDS)
