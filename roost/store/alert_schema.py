"""The alert tables (issue 22), on the same MetaData as every other table (roost.store.schema imports this module).

- `alert_channels`: where an account's alerts go: a signed webhook, an apprise notification URL (Slack, Discord,
  Telegram, ntfy, e-mail...) or the dashboard's own notifications list;
- `alert_rules`: what to watch (kind and parameters as JSON text) on a tracker, a tag or all trackers;
- `alert_states`: per rule and subject (an X user, or a post for engagement rules) whether its condition held at
  the last evaluation: a rule fires on the transition to true and re-arms when it goes back to false;
- `alert_events`: what fired, written in the transaction of the snapshot that caused it; `read_at` is the
  dashboard's unread mark;
- `alert_deliveries`: the outbox, one row per event and channel, claimed under a lease; its id is the
  idempotency key (Standard Webhooks' `webhook-id`), the same on every attempt;
- `alert_attempts`: one row per delivery attempt (when, outcome, HTTP status or error).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text

from roost.store.schema import account_id_column, metadata, one_of

CHANNEL_KINDS = ("webhook", "apprise", "dashboard")
RULE_KINDS = ("change", "threshold", "unusual", "engagement", "state", "stale", "budget")
DELIVERY_STATUSES = ("pending", "delivered", "failed")


alert_channels = Table(
    "alert_channels",
    metadata,
    Column("id", String(36), primary_key=True),
    account_id_column(index=True),
    Column("kind", String(10), nullable=False),
    Column("name", String(100), nullable=False),
    Column("url", Text, nullable=True),  # None for the dashboard channel
    Column("secret", String(100), nullable=True),  # webhooks: whsec_<base64>
    Column("created_at", BigInteger, nullable=False),
    CheckConstraint(one_of("kind", CHANNEL_KINDS), name="kind"),
)

alert_rules = Table(
    "alert_rules",
    metadata,
    Column("id", String(36), primary_key=True),
    account_id_column(index=True),
    Column("kind", String(12), nullable=False),
    Column("tracker_id", String(36), ForeignKey("trackers.id", ondelete="CASCADE"), nullable=True),
    Column("tag_id", String(36), ForeignKey("tags.id", ondelete="CASCADE"), nullable=True),
    Column("params", Text, nullable=False),  # JSON: the kind's parameters (roost.core.alerts.Rule)
    Column("created_at", BigInteger, nullable=False),
    CheckConstraint(one_of("kind", RULE_KINDS), name="kind"),
    CheckConstraint("tracker_id IS NULL OR tag_id IS NULL", name="scope"),
)

alert_states = Table(
    "alert_states",
    metadata,
    Column("rule_id", String(36), ForeignKey("alert_rules.id", ondelete="CASCADE"), primary_key=True),
    Column("subject", String(40), primary_key=True),  # "u<x_user_id>" or "p<post_id>"
    Column("firing", Integer, nullable=False),  # 1 while the condition holds (fired, not re-armed)
    Column("since", BigInteger, nullable=False),
    Column("note", Text, nullable=True),  # what a state rule last saw (e.g. the screen name), for the next look
)

alert_events = Table(
    "alert_events",
    metadata,
    Column("id", String(40), primary_key=True),  # msg_<uuid hex>: also the webhook-id base
    account_id_column(),
    Column("rule_id", String(36), ForeignKey("alert_rules.id", ondelete="SET NULL"), nullable=True),
    Column("kind", String(12), nullable=False),
    Column("x_user_id", BigInteger, nullable=True),
    Column("tracker_id", String(36), nullable=True),
    Column("at", BigInteger, nullable=False),  # the (virtual) time of the snapshot or check that fired it
    Column("title", Text, nullable=False),
    Column("payload", Text, nullable=False),  # JSON: the document channels receive
    Column("read_at", BigInteger, nullable=True),
    Index("ix_alert_events_account_at", "account_id", "at"),
)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", String(48), primary_key=True),  # the idempotency key: webhook-id on every attempt
    Column("event_id", String(40), ForeignKey("alert_events.id", ondelete="CASCADE"), nullable=False),
    Column("channel_id", String(36), ForeignKey("alert_channels.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", Integer, nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_at", BigInteger, nullable=False),
    Column("first_at", BigInteger, nullable=False),
    Column("lease_owner", String(128), nullable=True),
    Column("lease_until", BigInteger, nullable=True),
    Column("done_at", BigInteger, nullable=True),
    Column("last_error", Text, nullable=True),
    CheckConstraint(one_of("status", DELIVERY_STATUSES), name="status"),
    Index("ix_alert_deliveries_due", "status", "next_at"),
    Index("ix_alert_deliveries_account", "account_id", "first_at"),
)

alert_attempts = Table(
    "alert_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", String(48), ForeignKey("alert_deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("worker", String(128), nullable=False),
    Column("ok", Integer, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Index("ix_alert_attempts_delivery_id", "delivery_id"),
)

# Scheduled reports (migration 0011) live in a module of their own; importing it puts them on `metadata`.
from roost.store import report_schema as _report_schema  # noqa: E402, F401
