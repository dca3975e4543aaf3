"""Initial schema: accounts, tokens, X users, trackers, snapshots, tweets, tags, heartbeats.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 22:19:23.259051
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("tracker_slots_total", sa.Integer(), nullable=False),
        sa.Column("tracker_slots_used", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "tracker_slots_used >= 0 AND tracker_slots_used <= tracker_slots_total", name=op.f("ck_accounts_slots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_accounts_email")),
    )
    op.create_table(
        "collector_heartbeats",
        sa.Column("worker_id", sa.String(length=128), nullable=False),
        sa.Column("beat_at", sa.BigInteger(), nullable=False),
        sa.Column("info", sa.Text(), server_default="{}", nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_collector_heartbeats")),
    )
    op.create_table(
        "tweets",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("conversation_id", sa.BigInteger(), nullable=True),
        sa.Column("in_reply_to_user_id", sa.BigInteger(), nullable=True),
        sa.Column("referenced", sa.Text(), nullable=True),
        sa.Column("entities", sa.Text(), nullable=True),
        sa.Column("lang", sa.String(length=16), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=True),
        sa.Column("metrics_at", sa.BigInteger(), nullable=True),
        sa.Column("deleted_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tweets")),
    )
    op.create_index("ix_tweets_author_created", "tweets", ["author_id", "created_at"], unique=False)
    op.create_table(
        "x_users",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("username", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="ok", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.BigInteger(), nullable=True),
        sa.Column("tweet_count_seen", sa.BigInteger(), nullable=True),
        sa.Column("newest_post_id", sa.BigInteger(), nullable=True),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_until", sa.BigInteger(), nullable=True),
        sa.Column("last_bucket", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("state IN ('ok', 'suspended', 'not_found', 'protected')", name=op.f("ck_x_users_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_x_users")),
    )
    op.create_index("ix_x_users_last_bucket", "x_users", ["last_bucket"], unique=False)
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.Column("last_used_at", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("kind IN ('login', 'key')", name=op.f("ck_api_tokens_kind")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_api_tokens_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_account_id"), "api_tokens", ["account_id"], unique=False)
    op.create_table(
        "snapshots",
        sa.Column("x_user_id", sa.BigInteger(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("tweets", sa.BigInteger(), nullable=False),
        sa.Column("followers", sa.BigInteger(), nullable=False),
        sa.Column("following", sa.BigInteger(), nullable=False),
        sa.Column("lists", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["x_user_id"], ["x_users.id"], name=op.f("fk_snapshots_x_user_id_x_users")),
        sa.PrimaryKeyConstraint("x_user_id", "bucket", name=op.f("pk_snapshots")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "tags",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_tags_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_tags_account_id_name")),
    )
    op.create_table(
        "trackers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("x_user_id", sa.BigInteger(), nullable=False),
        sa.Column("alias", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("stopped_at", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("(status = 'active') = (stopped_at IS NULL)", name=op.f("ck_trackers_stopped_at")),
        sa.CheckConstraint("status IN ('active', 'stopped')", name=op.f("ck_trackers_status")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_trackers_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["x_user_id"], ["x_users.id"], name=op.f("fk_trackers_x_user_id_x_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trackers")),
    )
    op.create_index("ix_trackers_account_created", "trackers", ["account_id", "created_at"], unique=False)
    op.create_index("ix_trackers_x_user_status", "trackers", ["x_user_id", "status"], unique=False)
    op.create_index(
        "uq_trackers_active_user",
        "trackers",
        ["account_id", "x_user_id"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "tracker_tags",
        sa.Column("tracker_id", sa.String(length=36), nullable=False),
        sa.Column("tag_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_tracker_tags_tag_id_tags"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["tracker_id"], ["trackers.id"], name=op.f("fk_tracker_tags_tracker_id_trackers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tracker_id", "tag_id", name=op.f("pk_tracker_tags")),
    )
    op.create_index("ix_tracker_tags_tag_id", "tracker_tags", ["tag_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tracker_tags_tag_id", table_name="tracker_tags")
    op.drop_table("tracker_tags")
    op.drop_index(
        "uq_trackers_active_user",
        table_name="trackers",
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_index("ix_trackers_x_user_status", table_name="trackers")
    op.drop_index("ix_trackers_account_created", table_name="trackers")
    op.drop_table("trackers")
    op.drop_table("tags")
    op.drop_table("snapshots")
    op.drop_index(op.f("ix_api_tokens_account_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_index("ix_x_users_last_bucket", table_name="x_users")
    op.drop_table("x_users")
    op.drop_index("ix_tweets_author_created", table_name="tweets")
    op.drop_table("tweets")
    op.drop_table("collector_heartbeats")
    op.drop_table("accounts")
