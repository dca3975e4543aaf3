"""Posting activity stamped on snapshots: Tweet Binder's `originals`, `retweetStatuses`, `deleted`, `retweets` and
`favorites`, counted from the post archive as it stands when the snapshot's bucket is collected, and written once
(only where still NULL), so a past snapshot never changes.

The window is the 24 hours before the stamp: posts with `now - 86400 < created_at <= now`.
- `originals`: posts published in the window that are not retweets (originals, replies and quotes);
- `retweetStatuses`: retweets published in the window;
- `deleted`: posts published in the window that the archive had found deleted by then;
- `retweets` / `favorites`: retweets and likes received by the window's own posts (not retweets, not deleted),
  the sum of their `retweet_count` / `like_count` as last read.
A user whose timeline was never read completely (`x_users.tweet_count_seen` NULL: the archive knows nothing of
it, or cannot, as for a protected account) keeps NULL, never a made-up 0.
"""

from __future__ import annotations

import orjson
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.store.schema import snapshots, tweets, x_users

WINDOW = 86400
COLUMNS = ("originals", "retweet_statuses", "deleted", "retweets", "favorites")
USERS_PER_QUERY = 500


def _metric(metrics: dict[str, int], *names: str) -> int:
    for name in names:
        value = metrics.get(name)
        if isinstance(value, int):
            return value
    return 0


async def stamp(conn: AsyncConnection, *, bucket: int, now: int) -> int:
    """Fill the activity of this bucket's snapshots that have none yet, for users the archive knows; returns how
    many snapshots were stamped."""
    due = select(snapshots.c.x_user_id).where(
        snapshots.c.bucket == bucket,
        snapshots.c.originals.is_(None),
        snapshots.c.x_user_id.in_(select(x_users.c.id).where(x_users.c.tweet_count_seen.is_not(None))),
    )
    # In user order: two workers stamping the same bucket then lock its rows in the same order and the second
    # waits for the first (finding them stamped), where in any order they deadlocked on PostgreSQL.
    user_ids = list((await conn.execute(due.order_by(snapshots.c.x_user_id))).scalars())
    stamped = 0
    for start in range(0, len(user_ids), USERS_PER_QUERY):
        batch = user_ids[start : start + USERS_PER_QUERY]
        found = {uid: [0, 0, 0, 0, 0] for uid in batch}
        posts = select(tweets.c.author_id, tweets.c.kind, tweets.c.metrics, tweets.c.deleted_at).where(
            tweets.c.author_id.in_(batch), tweets.c.created_at > now - WINDOW, tweets.c.created_at <= now
        )
        for author_id, kind, metrics, deleted_at in await conn.execute(posts):
            counts = found[author_id]
            counts[1 if kind == "retweet" else 0] += 1
            if deleted_at is not None:
                counts[2] += 1
            elif kind != "retweet" and metrics:
                read = orjson.loads(metrics)
                counts[3] += _metric(read, "retweet_count", "repost_count")
                counts[4] += _metric(read, "like_count")
        params = [{"uid": uid, **dict(zip(COLUMNS, counts, strict=True))} for uid, counts in found.items()]
        await conn.execute(
            update(snapshots)
            .where(
                snapshots.c.x_user_id == bindparam("uid"),
                snapshots.c.bucket == bucket,
                snapshots.c.originals.is_(None),
            )
            .values({name: bindparam(name) for name in COLUMNS}),
            params,
        )
        stamped += len(params)
    return stamped
