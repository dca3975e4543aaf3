"""Every table in one place. Times are unix seconds (BIGINT); X user and post ids fit a signed 64-bit BIGINT.

Ids of our own rows: accounts and tokens are integers; trackers and tags are uuid strings (Tweet Binder's
`resourceId`), kept as text so a malformed id from a client is simply "not found" on both databases.
JSON columns are text: the store never queries inside them, and text is the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
    true,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

USER_STATES = ("ok", "suspended", "not_found", "protected")
TRACKER_STATUSES = ("active", "stopped")
TOKEN_KINDS = ("login", "key")


# PostgreSQL stores these snapshot counts in 4 bytes (migration 0009: a row of 104 bytes instead of 128); SQLite's
# integers take the bytes their value needs either way.
_NARROW = BigInteger().with_variant(Integer(), "postgresql")


def one_of(column: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint's text: `column` holds one of `values`."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def account_id_column(*, index: bool | None = None) -> Column[int]:
    """`account_id`: the account a row belongs to; the row is deleted with the account."""
    return Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=index)


accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),  # stored lowercased
    Column("name", String(200), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("tracker_slots_total", Integer, nullable=False),
    Column("tracker_slots_used", Integer, nullable=False, server_default=text("0")),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    # The last line of defence for the balance: no code path can overspend or double-refund a slot.
    CheckConstraint("tracker_slots_used >= 0 AND tracker_slots_used <= tracker_slots_total", name="slots"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    account_id_column(index=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 hex of the plaintext
    Column("kind", String(10), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
    Column("revoked_at", BigInteger, nullable=True),
    Column("last_used_at", BigInteger, nullable=True),
    CheckConstraint(one_of("kind", TOKEN_KINDS), name="kind"),
)

x_users = Table(
    "x_users",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),  # the X user id
    Column("username", String(32), nullable=False),  # current screen name (it can change; the id cannot)
    Column("name", Text, nullable=False),
    Column("state", String(16), nullable=False, server_default="ok"),
    Column("last_error", Text, nullable=True),
    Column("last_error_at", BigInteger, nullable=True),
    Column("tweet_count_seen", BigInteger, nullable=True),  # tweet_count when the timeline was last read
    Column("newest_post_id", BigInteger, nullable=True),  # the timeline cursor (since_id)
    Column("lease_owner", String(128), nullable=True),
    Column("lease_until", BigInteger, nullable=True),
    Column("last_bucket", BigInteger, nullable=False, server_default=text("0")),  # last bucket collected (0: none)
    Column("collect", Boolean, nullable=False, server_default=true()),  # an active tracker follows this user
    # The timeline pass's own lease (the snapshot lease above is per bucket; a timeline read is not).
    Column("timeline_lease_owner", String(128), nullable=True),
    Column("timeline_lease_until", BigInteger, nullable=True),
    # The profile as the last lookup saw it (Tweet Binder's `profile`): bio, picture, location, account creation.
    Column("description", Text, nullable=True),
    Column("profile_image_url", Text, nullable=True),
    Column("location", Text, nullable=True),
    Column("account_created_at", BigInteger, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    CheckConstraint(one_of("state", USER_STATES), name="state"),
    # The collector's claim walks this index in order: users not yet done this bucket, longest-waiting first.
    Index("ix_x_users_due", "collect", "last_bucket", "id"),
)

trackers = Table(
    "trackers",
    metadata,
    Column("id", String(36), primary_key=True),
    account_id_column(),
    Column("x_user_id", BigInteger, ForeignKey("x_users.id"), nullable=False),
    Column("alias", String(32), nullable=False),  # as asked, without '@', original case
    Column("status", String(10), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("stopped_at", BigInteger, nullable=True),
    # The post archive for this tracker's account (the timeline pass and the metrics refresh); off: snapshots only.
    Column("archive", Boolean, nullable=False, server_default=true()),
    CheckConstraint(one_of("status", TRACKER_STATUSES), name="status"),
    CheckConstraint("(status = 'active') = (stopped_at IS NULL)", name="stopped_at"),
    Index("ix_trackers_account_created", "account_id", "created_at"),  # the list, newest first
    Index("ix_trackers_x_user_status", "x_user_id", "status"),  # "is anybody still tracking this user?"
    # One active tracker per account and X user; stopped ones are history. A partial index works on both.
    Index(
        "uq_trackers_active_user",
        "account_id",
        "x_user_id",
        unique=True,
        sqlite_where=text("status = 'active'"),
        postgresql_where=text("status = 'active'"),
    ),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("x_user_id", BigInteger, ForeignKey("x_users.id"), nullable=False),
    Column("bucket", BigInteger, nullable=False),  # start of the snapshot period (Tweet Binder's `_id`)
    Column("tweets", BigInteger, nullable=False),
    Column("followers", BigInteger, nullable=False),
    Column("following", BigInteger, nullable=False),
    Column("lists", _NARROW, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    # Posting activity as the post archive knew it when the bucket was collected (store/activity.py); NULL: the
    # archive knew nothing of the user then. Written once, so a past snapshot never changes.
    Column("originals", _NARROW, nullable=True),
    Column("retweet_statuses", _NARROW, nullable=True),
    Column("deleted", _NARROW, nullable=True),
    Column("retweets", _NARROW, nullable=True),
    Column("favorites", _NARROW, nullable=True),
    # When the snapshot was imported (`roost import tweetbinder|archive`) rather than collected here; NULL: collected.
    Column("imported_at", BigInteger, nullable=True),
    # Every stats read is a range scan on this key (on PostgreSQL, inside the months the range touches:
    # store/partitions.py); a second collection in a bucket is an idempotent upsert.
    PrimaryKeyConstraint("x_user_id", "bucket"),
    sqlite_with_rowid=False,  # SQLite: store the rows in key order, so a user's series is contiguous
)

tweets = Table(
    "tweets",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("author_id", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("kind", String(10), nullable=False),  # original | reply | retweet | quote
    Column("text", Text, nullable=False),
    Column("conversation_id", BigInteger, nullable=True),
    Column("in_reply_to_user_id", BigInteger, nullable=True),
    Column("referenced", Text, nullable=True),
    Column("entities", Text, nullable=True),
    Column("lang", String(16), nullable=True),
    Column("source", Text, nullable=True),
    Column("raw", Text, nullable=False),
    Column("metrics", Text, nullable=True),
    Column("metrics_at", BigInteger, nullable=True),
    Column("deleted_at", BigInteger, nullable=True),
    Index("ix_tweets_author_created", "author_id", "created_at"),
    Index("ix_tweets_created_at", "created_at"),  # the metrics refresh: posts younger than a week
)

tags = Table(
    "tags",
    metadata,
    Column("id", String(36), primary_key=True),
    account_id_column(),
    Column("name", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("account_id", "name"),
)

tracker_tags = Table(
    "tracker_tags",
    metadata,
    Column("tracker_id", String(36), ForeignKey("trackers.id", ondelete="CASCADE"), nullable=False),
    Column("tag_id", String(36), ForeignKey("tags.id", ondelete="CASCADE"), nullable=False),
    PrimaryKeyConstraint("tracker_id", "tag_id"),
    Index("ix_tracker_tags_tag_id", "tag_id"),  # a tag's members
)

collector_heartbeats = Table(
    "collector_heartbeats",
    metadata,
    Column("worker_id", String(128), primary_key=True),
    Column("beat_at", BigInteger, nullable=False),
    Column("info", Text, nullable=False, server_default="{}"),
)

# ---- spending (issue 19): what X billed, what is paused, what the budget decided ------------------------------

# One row per billable resource and UTC day, as X charges it: the first read of the day is kept (its endpoint,
# purpose and owner), every later read that day is free and writes nothing (INSERT ... ON CONFLICT DO NOTHING).
x_usage = Table(
    "x_usage",
    metadata,
    Column("day", BigInteger, nullable=False),  # unix seconds of the UTC midnight
    Column("resource", String(8), nullable=False),  # 'user' | 'post'
    Column("resource_id", BigInteger, nullable=False),
    Column("endpoint", String(48), nullable=False),
    Column("purpose", String(16), nullable=False),  # snapshots | new_posts | refreshes | backfills | lookups
    Column("x_user_id", BigInteger, nullable=True),  # whose resource (a user, a post's author)
    Column("read_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "resource", "resource_id"),
    Index("ix_x_usage_day_purpose", "day", "purpose"),
    Index("ix_x_usage_x_user_day", "x_user_id", "day"),
)

# What is held back, shared by every process: 'posts' (a reached post cap) or 'all' (no credits, or the budget).
upstream_pauses = Table(
    "upstream_pauses",
    metadata,
    Column("kind", String(8), primary_key=True),
    Column("reason", String(16), nullable=False),  # 'cap' | 'credits'
    Column("detail", Text, nullable=False),
    Column("since", BigInteger, nullable=False),
    Column("until", BigInteger, nullable=True),  # when it lifts by itself (a cap's reset day); NULL: resume/probe
    Column("probe_at", BigInteger, nullable=True),  # the last request let through to see whether X answers again
)

# Every budget decision (a kind of work cut or resumed), for the log and the usage page; the latest row of a
# purpose is its current state.
budget_decisions = Table(
    "budget_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", BigInteger, nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("decision", String(8), nullable=False),  # 'cut' | 'resumed'
    Column("detail", Text, nullable=False),
    Index("ix_budget_decisions_purpose_id", "purpose", "id"),
)

# Where each `roost import tweetbinder` left off: per account, upstream API and upstream tracker, the Roost tracker its
# history went to and the newest snapshot imported, so a rerun (or a resumed one) asks only for what is newer.
import_cursors = Table(
    "import_cursors",
    metadata,
    account_id_column(),
    Column("source", String(300), nullable=False),  # the upstream API's base URL
    Column("remote_id", String(64), nullable=False),  # the upstream tracker's _id
    Column("tracker_id", String(36), ForeignKey("trackers.id", ondelete="CASCADE"), nullable=False),
    Column("last_bucket", BigInteger, nullable=True),  # the newest snapshot (_id) imported; NULL: none yet
    Column("updated_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("account_id", "source", "remote_id"),
)

maintenance = Table(
    "maintenance",
    metadata,
    Column("name", String(64), primary_key=True),  # what was done, e.g. "retention.snapshots"
    Column("value", BigInteger, nullable=False),  # how far (unix seconds)
)

# The alert tables live in a module of their own (issue 22); importing it here puts them on `metadata`.
from roost.store import alert_schema as _alert_schema  # noqa: E402, F401
