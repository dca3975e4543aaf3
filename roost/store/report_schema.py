"""Scheduled reports' tables (issue 22, migration 0011), on the same MetaData as every other table
(roost.store.alert_schema imports this module).

- `alert_reports`: an account's report definitions: weekly (a weekday) or monthly (a day) at a local HH:MM in an
  IANA zone (roost.core.schedule), the trackers it covers (JSON list of tracker ids) and the channel it goes to;
- `alert_report_runs`: one row per report and period sent, written in the transaction that writes the report's
  event and outbox rows. Its primary key (report, period start) is what makes a report go out once per period
  even with several collector workers: the second insert of a period conflicts and writes nothing.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Integer, String, Table, Text

from roost.store.schema import metadata

alert_reports = Table(
    "alert_reports",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("every", String(5), nullable=False),  # 'week' | 'month'
    Column("at", String(5), nullable=False),  # local HH:MM
    Column("tz", String(64), nullable=False),  # IANA zone
    Column("weekday", Integer, nullable=False),  # weekly: 0 = Monday
    Column("day", Integer, nullable=False),  # monthly: 1..31
    Column("tracker_ids", Text, nullable=False),  # JSON list of tracker ids
    Column("channel_id", String(36), ForeignKey("alert_channels.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    CheckConstraint("every IN ('week', 'month')", name="every"),
)

alert_report_runs = Table(
    "alert_report_runs",
    metadata,
    Column("report_id", String(36), ForeignKey("alert_reports.id", ondelete="CASCADE"), primary_key=True),
    Column("period_start", BigInteger, primary_key=True),
    Column("period_end", BigInteger, nullable=False),
    Column("event_id", String(40), nullable=False),
    Column("at", BigInteger, nullable=False),
)
