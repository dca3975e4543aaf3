"""Bytes a snapshot and a post take on disk, indexes included: the constants `roost plan` prices storage with.

    .venv/bin/python -m bench.bench_rowsize          # --accounts 40 --days 30 --posts 500 --pg-url postgresql://...

Into a fresh SQLite file and a fresh PostgreSQL database (migrated by Roost), Roost's store writes `--accounts`
accounts' hourly snapshots for `--days` days (with the posting-activity columns filled, as the collector stamps
them) and up to `--posts` posts each, read from the emulator with the fields and expansion Roost's client asks for
and saved with `roost.store.tweets.save_posts`. Then:
- SQLite: the pages of each table and its indexes (`dbstat`), after a checkpoint;
- PostgreSQL: `pg_total_relation_size` (heap, indexes and TOAST) of the table and its month partitions after
  `VACUUM FULL`: the activity stamp and
  the metrics refreshes update rows, and the dead versions they leave are space autovacuum hands to later
  inserts, so the compacted size is the steady state's;
each divided by the table's rows. Post metrics are updated in place by refreshes, so a post is one row for life.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import insert, update

from roost.core.clock import VirtualClock
from roost.core.domain import Snapshot
from roost.store.db import create_engine, transaction
from roost.store.migrate import upgrade
from roost.store.schema import snapshots, x_users
from roost.store.snapshots import upsert_snapshots
from roost.store.tweets import save_posts
from roost.xapi.posts import TWEET_FIELDS, parse_posts
from roost.xsim.app import create_app
from roost.xsim.testing import START, accounts
from roost.xsim.transport import XsimTransport
from roost.xsim.world import World

HOUR = 3600
PG_ADMIN = os.environ.get("ROOST_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test").replace(
    "postgresql+asyncpg://", "postgresql://"
)


async def read_posts(n_accounts: int, per_account: int) -> tuple[list[tuple[int, str, int]], list[Any]]:
    """(user id, username, tweet_count) of active accounts with posts, and their newest posts as Roost parses them."""
    world = World(2024)
    users = [
        (u.id, u.username, u.tweet_count)
        for _, u in accounts(world, START)
        if u is not None and u.status == "active" and u.tweet_count >= 50
    ][:n_accounts]
    posts: list[Any] = []
    app = create_app(clock=VirtualClock(START), world=world)
    app.state.config.limits = dict.fromkeys(app.state.config.limits, 10**9)
    transport = XsimTransport(app)
    headers = {"Authorization": "Bearer xsim-token"}
    async with httpx.AsyncClient(transport=transport, base_url="http://xsim", headers=headers) as client:
        for user_id, _, _ in users:
            token: str | None = None
            got = 0
            while got < per_account:
                params = {"max_results": "100", "tweet.fields": TWEET_FIELDS, "expansions": "author_id"}
                params["user.fields"] = "public_metrics"
                if token:
                    params["pagination_token"] = token
                body = (await client.get(f"/2/users/{user_id}/tweets", params=params)).json()
                page = parse_posts(body.get("data") or [])
                posts.extend(page[: per_account - got])
                got += len(page)
                token = (body.get("meta") or {}).get("next_token")
                if not token or not page:
                    break
    return users, posts


async def fill(url: str, users: list[tuple[int, str, int]], posts: list[Any], days: int) -> tuple[int, int]:
    await upgrade(url)
    engine = create_engine(url)
    now = int(START)
    first = now - days * 24 * HOUR
    rows = 0
    try:
        async with transaction(engine) as conn:
            await conn.execute(
                insert(x_users),
                [
                    {"id": uid, "username": name, "name": name, "created_at": now, "updated_at": now}
                    for uid, name, _ in users
                ],
            )
        for uid, _, count in users:
            series = [
                Snapshot(uid, b, count - (now - b) // (6 * HOUR), 12_000 + b // 7919 % 500, 310, 40, b + 7, b + 7)
                for b in range(first - first % HOUR, now, HOUR)
            ]
            async with transaction(engine) as conn:
                await upsert_snapshots(conn, rows=series)
                await conn.execute(
                    update(snapshots)
                    .where(snapshots.c.x_user_id == uid)
                    .values(originals=3, retweet_statuses=1, deleted=0, retweets=57, favorites=412)
                )
            rows += len(series)
        for start in range(0, len(posts), 500):
            async with transaction(engine) as conn:
                await save_posts(conn, posts=posts[start : start + 500], now=now)
    finally:
        await engine.dispose()
    return rows, len(posts)


def sqlite_bytes(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        sizes: dict[str, int] = {}
        for table in ("snapshots", "tweets"):
            names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE tbl_name = ?", (table,))]
            marks = ",".join("?" * len(names))
            (total,) = db.execute(f"SELECT SUM(pgsize) FROM dbstat WHERE name IN ({marks})", names).fetchone()
            sizes[table] = int(total)
    return sizes


async def postgres_bytes(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("VACUUM FULL ANALYZE snapshots")
        await conn.execute("VACUUM FULL ANALYZE tweets")
        # Both tables are partitioned by month (roost.store.partitions): the parent holds no rows of its own.
        sizes = {}
        for table in ("snapshots", "tweets"):
            sizes[table] = int(
                await conn.fetchval(
                    "SELECT pg_total_relation_size($1::regclass) + COALESCE((SELECT"
                    " SUM(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = $1::regclass), 0)",
                    table,
                )
            )
        return sizes
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=40)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--posts", type=int, default=500, help="posts per account")
    parser.add_argument("--pg-admin", default=PG_ADMIN, help="a PostgreSQL URL to create the bench database from")
    args = parser.parse_args()
    users, posts = await read_posts(args.accounts, args.posts)
    results: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rowsize.db"
        snaps, n_posts = await fill(f"sqlite+aiosqlite:///{path}", users, posts, args.days)
        sizes = sqlite_bytes(path)
        results["sqlite"] = (sizes["snapshots"] / snaps, sizes["tweets"] / n_posts)
    name = f"roost_bench_rowsize_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(args.pg_admin, timeout=5)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+asyncpg://{args.pg_admin.split('://', 1)[1].rsplit('/', 1)[0]}/{name}"
    try:
        await fill(url, users, posts, args.days)
        sizes = await postgres_bytes(url)
        results["postgresql"] = (sizes["snapshots"] / snaps, sizes["tweets"] / n_posts)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    print(f"{len(users)} accounts, {snaps:,} snapshots ({args.days} days hourly), {n_posts:,} posts")
    print(f"{'database':<12} {'bytes/snapshot':>15} {'bytes/post':>11}")
    for db, (per_snapshot, per_post) in results.items():
        print(f"{db:<12} {per_snapshot:>15.1f} {per_post:>11.1f}")


if __name__ == "__main__":
    asyncio.run(main())
