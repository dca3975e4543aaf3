"""A small history written straight into the tables (as of migration 0005, so it also fills a database before the
partitioning), and the answers the API gives about it: what the partition and retention tests compare."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from roost.core import auth
from roost.store import accounts as account_store
from roost.store import tokens as token_store
from roost.store.db import create_engine, transaction
from roost.store.schema import metadata, snapshots, trackers, tweets, x_users
from tests.integration.api_helpers import START, harness

HOUR, DAY = 3600, 86400
T0 = int(START) - int(START) % DAY - 95 * DAY  # a UTC midnight about three months before the harness's clock
USERS = (4001, 4002, 4003)


def follower_count(user: int, k: int) -> int:
    """Hour k's followers: steady growth, a glitch (a collapse that recovers) at 10:00 and 11:00 of day 40, and a
    real drop (it stays) on day 70."""
    base = 5000 * (user - 4000) + 3 * k
    if 40 * 24 + 10 <= k <= 40 * 24 + 11:
        return base // 10
    return base - 2000 if k >= 70 * 24 else base


def snapshot_rows(user: int, hours: int, *, start: int = T0) -> list[dict[str, Any]]:
    rows = []
    for k in range(hours):
        bucket = start + k * HOUR
        known = k % 50 != 0  # some snapshots have no activity fields
        rows.append(
            {"x_user_id": user, "bucket": bucket, "tweets": 100 + k // 5, "followers": follower_count(user, k),
             "following": 300 + k % 3, "lists": 9, "created_at": bucket + 7, "updated_at": bucket + 9,
             **{c: (k % 7 if known else None) for c in ("originals", "retweet_statuses", "deleted", "retweets",
                                                       "favorites")}}
        )  # fmt: skip
    return rows


async def fill(url: str, *, hours: int = 100 * 24) -> str:
    """An account with a tracker per user, `hours` of hourly snapshots each from T0, posts across the months;
    returns a login token for the account."""
    engine = create_engine(url)
    try:
        async with transaction(engine) as conn:
            account = await account_store.create_account(
                conn, email="history@example.com", name="history", password_hash=auth.hash_password("pw-history"),
                tracker_slots=10, now=T0 - DAY,
            )  # fmt: skip
            token, _ = await token_store.issue_login_token(conn, account_id=account.id, now=int(START), ttl=10**8)
            for n, user in enumerate(USERS):
                await conn.execute(
                    insert(x_users).values(id=user, username=f"hist{n}", name=f"Hist {n}", last_bucket=0,
                                           created_at=T0 - DAY, updated_at=T0 - DAY)
                )  # fmt: skip
                await conn.execute(
                    insert(trackers).values(id=f"00000000-0000-4000-8000-00000000000{n}", account_id=account.id,
                                            x_user_id=user, alias=f"hist{n}", status="active",
                                            created_at=T0 - DAY + n, updated_at=T0 - DAY + n)
                )  # fmt: skip
                await conn.execute(insert(snapshots), snapshot_rows(user, hours))
                await conn.execute(
                    insert(tweets),
                    [{"id": 10**15 + user * 1000 + k, "author_id": user, "created_at": T0 + k * 7 * HOUR,
                      "kind": "original", "text": f"post {k}", "raw": "{}", "metrics": '{"like_count": 3}',
                      "metrics_at": T0 + k * 7 * HOUR} for k in range(300)],
                )  # fmt: skip
    finally:
        await engine.dispose()
    return token


async def table_rows(engine: AsyncEngine, only: tuple[str, ...] | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every declared table's rows (or those of the tables `only` names), by column name, in primary-key order."""
    out = {}
    async with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name == "maintenance" or (only is not None and table.name not in only):
                continue
            key = list(table.primary_key.columns) or list(table.columns)
            rows = await conn.execute(select(*table.columns).order_by(*key))
            out[table.name] = [tuple(r) for r in rows]
    return out


async def answers(url: str, token: str, ranges: list[tuple[int, int]]) -> list[Any]:
    """The API's stats, timeline and growth (day, week, month) for every tracker and range."""
    found: list[Any] = []
    async with harness(url, collector=False, read_cache_seconds=0) as h:
        headers = {"Authorization": f"Bearer {token}"}
        listing = await h.client.get("/user-trackers/me", params={"limit": 100}, headers=headers)
        assert listing.status_code == 200, listing.text
        ids = sorted(d["_id"] for d in listing.json()["data"])
        for tracker in ids:
            for start, end in ranges:
                window = {"startDate": start, "endDate": end}
                for path, params in (
                    ("stats", window),
                    ("stats", {**window, "isTimeline": "true"}),
                    ("growth", {**window, "interval": "day"}),
                    ("growth", {**window, "interval": "week"}),
                    ("growth", {**window, "interval": "month"}),
                ):
                    r = await h.client.get(f"/user-trackers/{tracker}/{path}", params=params, headers=headers)
                    assert r.status_code == 200, r.text
                    found.append((tracker, path, params, r.json()))
    return found
