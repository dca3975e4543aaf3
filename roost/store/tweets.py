"""The timeline archive: one row per post (however many trackers follow its author), the metrics refresh, and the
reads behind `/tweets` and `/activity`. The timeline pass's claims and cursors are in `roost.store.queue`.

A post is written once and refreshed in place: its latest public metrics and when they were read. A post that
X stops returning while it is still within reach is marked `deleted_at`, never erased.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from sqlalchemy import and_, bindparam, exists, func, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.store.rows import from_row
from roost.store.schema import trackers, tweets, x_users
from roost.store.sql import chunks, dialect_insert


class PostData(Protocol):
    """A post as the archive takes it. The X client's `roost.xapi.posts.XPost` has these fields (the store does
    not import the client): read-only, so a NamedTuple fits, and the collector passes its posts as they are."""

    @property
    def id(self) -> int: ...
    @property
    def author_id(self) -> int: ...
    @property
    def created_at(self) -> int: ...  # unix seconds
    @property
    def kind(self) -> str: ...  # original | reply | retweet | quote
    @property
    def text(self) -> str: ...
    @property
    def conversation_id(self) -> int | None: ...
    @property
    def in_reply_to_user_id(self) -> int | None: ...
    @property
    def referenced(self) -> list[dict[str, str]]: ...
    @property
    def entities(self) -> dict[str, Any] | None: ...
    @property
    def lang(self) -> str | None: ...
    @property
    def source(self) -> str | None: ...
    @property
    def metrics(self) -> dict[str, int] | None: ...
    @property
    def raw(self) -> dict[str, Any]: ...  # the post as X sent it


@dataclass(frozen=True, slots=True)
class StoredPost:
    id: int
    author_id: int
    created_at: int
    kind: str
    text: str
    conversation_id: int | None
    in_reply_to_user_id: int | None
    referenced: list[dict[str, str]]
    entities: dict[str, Any]
    lang: str | None
    source: str | None
    metrics: dict[str, int]
    metrics_at: int | None
    deleted_at: int | None


def _dumps(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


_COLUMNS = tuple(c.name for c in tweets.c)


def _row(post: PostData, now: int) -> tuple[Any, ...]:
    """A post as the upsert's parameters, in `_COLUMNS` order; JSON goes through orjson once per field."""
    dumps = orjson.dumps
    metrics = post.metrics
    return (
        post.id,
        post.author_id,
        post.created_at,
        post.kind,
        post.text,
        post.conversation_id,
        post.in_reply_to_user_id,
        dumps(post.referenced).decode() if post.referenced else None,
        None if post.entities is None else dumps(post.entities).decode(),
        post.lang,
        post.source,
        dumps(post.raw).decode(),
        None if metrics is None else dumps(metrics).decode(),
        None if metrics is None else now,
        None,  # deleted_at: X answered with it
    )


_UPSERTS: dict[str, str] = {}


def _upsert_sql(conn: AsyncConnection) -> str:
    """The one-row upsert, compiled once per dialect. A post seen again refreshes what may change (its text
    through an edit, its metrics) and is no longer deleted: X answered with it."""
    sql = _UPSERTS.get(conn.dialect.name)
    if sql is None:
        stmt = dialect_insert(conn, tweets)
        keep = ("text", "entities", "raw", "metrics", "metrics_at", "deleted_at")
        # PostgreSQL's key is (id, created_at): the table is partitioned by month (store/partitions.py), and a
        # post's creation time never changes, so the key still names one post.
        key = [tweets.c.id, tweets.c.created_at] if conn.dialect.name == "postgresql" else [tweets.c.id]
        stmt = stmt.on_conflict_do_update(index_elements=key, set_={n: stmt.excluded[n] for n in keep})
        compiled = stmt.compile(dialect=conn.dialect, column_keys=list(_COLUMNS))
        # Positional parameters in column order and no type conversions, or plain tuples would not fit.
        assert tuple(compiled.positiontup or ()) == _COLUMNS and not compiled._bind_processors
        sql = _UPSERTS[conn.dialect.name] = str(compiled)
    return sql


@functools.lru_cache(maxsize=32)
def _multirow_sql(one_row: str, rows: int) -> str:
    """SQLite (qmark): the one-row upsert with `rows` rows in its VALUES."""
    values = "(" + ", ".join("?" * len(_COLUMNS)) + ")"
    assert one_row.count(values) == 1
    return one_row.replace(values, ", ".join([values] * rows))


def post_rows(posts: Sequence[PostData], now: int) -> list[tuple[Any, ...]]:
    """Posts as `save_rows` takes them (their metrics read at `now`)."""
    return [_row(p, now) for p in posts]


async def save_rows(conn: AsyncConnection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert new posts and refresh known ones (`post_rows`); a post repeated in `rows` is written once (its last
    copy).

    The rows go to the driver as plain tuples, under SQL compiled once (no per-row work in SQLAlchemy).
    PostgreSQL: one executemany (asyncpg pipelines it). SQLite: one multi-row statement per 500 posts, because
    aiosqlite's executemany steps each row in its worker thread, handing the GIL back and forth with the event
    loop's thread once per row."""
    if not rows:
        return
    # In id order: two workers writing overlapping posts (a timeline read and another worker's refresh) then
    # lock them in the same order, so they wait for each other instead of deadlocking on PostgreSQL.
    unique = sorted({row[0]: row for row in rows}.values(), key=lambda row: row[0]) if len(rows) > 1 else rows
    one_row = _upsert_sql(conn)
    if conn.dialect.name != "sqlite":
        await conn.exec_driver_sql(one_row, unique)
        return
    for part in chunks(unique):
        await conn.exec_driver_sql(_multirow_sql(one_row, len(part)), tuple(v for row in part for v in row))


async def save_posts(conn: AsyncConnection, *, posts: Sequence[PostData], now: int) -> None:
    """Insert new posts and refresh known ones; a post repeated in `posts` is written once (its last copy)."""
    await save_rows(conn, post_rows(posts, now))


# ---- metrics refresh and deletions ------------------------------------------------------------------------------


async def posts_to_refresh(
    conn: AsyncConnection, *, now: int, stages: Sequence[int], limit: int, grace: int = 86400
) -> list[tuple[int, int]]:
    """(post id, author id) of live posts due a metrics read by the refresh schedule `stages` (ages in seconds),
    of authors still followed, archived and readable; oldest first.

    A post is due when it has reached a stage's age and its metrics were read before that age: so a post is read
    once at (the pass after) each stage, and a post archived after a stage (a backfill) is not read for it. A
    stage missed by more than `grace` (the collector was down) is not made up: the read would not show the
    post at that age any more."""
    if not stages:
        return []
    created, read_at = tweets.c.created_at, tweets.c.metrics_at
    due = [and_(created <= now - age, or_(read_at.is_(None), read_at < created + age)) for age in stages]
    query = (
        select(tweets.c.id, tweets.c.author_id)
        .join(x_users, x_users.c.id == tweets.c.author_id)
        .where(
            created >= now - max(stages) - grace,
            created <= now - min(stages),
            tweets.c.deleted_at.is_(None),
            or_(*due),
            x_users.c.state == "ok",
            exists().where(
                trackers.c.x_user_id == tweets.c.author_id,
                trackers.c.status == "active",
                trackers.c.archive.is_(True),
            ),
        )
        .order_by(created, tweets.c.id)
        .limit(limit)
    )
    return [(int(r[0]), int(r[1])) for r in await conn.execute(query)]


async def update_metrics(conn: AsyncConnection, *, posts: Sequence[PostData], now: int) -> None:
    """The lookup's latest metrics; a post X returns is not deleted."""
    ordered = sorted(posts, key=lambda p: p.id)  # the lock order every writer of posts keeps (`save_rows`)
    rows = [{"pid": p.id, "m": _dumps(p.metrics), "at": now} for p in ordered if p.metrics is not None]
    if rows:
        stmt = (
            update(tweets)
            .where(tweets.c.id == bindparam("pid"))
            .values(metrics=bindparam("m"), metrics_at=bindparam("at"), deleted_at=None)
        )
        await conn.execute(stmt, rows)


async def mark_deleted(conn: AsyncConnection, *, ids: Sequence[int], now: int) -> int:
    """Mark posts deleted (once: the first time X stopped returning them)."""
    marked = 0
    for part in chunks(list(set(ids))):
        result = await conn.execute(
            update(tweets).where(tweets.c.id.in_(part), tweets.c.deleted_at.is_(None)).values(deleted_at=now)
        )
        marked += result.rowcount
    return marked


async def touch_metrics(conn: AsyncConnection, *, ids: Sequence[int], now: int) -> None:
    """Posts X would not show this time (a protected author): not read again until their next stage."""
    for part in chunks(list(set(ids))):
        await conn.execute(update(tweets).where(tweets.c.id.in_(part)).values(metrics_at=now))


async def user_id_by_name(conn: AsyncConnection, *, username: str) -> int | None:
    """The followed X user with this screen name (case-insensitive), or an active tracker's alias for it."""
    folded = username.lstrip("@").lower()
    found = (await conn.execute(select(x_users.c.id).where(func.lower(x_users.c.username) == folded))).first()
    if found is None:
        query = select(trackers.c.x_user_id).where(func.lower(trackers.c.alias) == folded)
        found = (await conn.execute(query.order_by(trackers.c.created_at.desc()))).first()
    return None if found is None else int(found[0])


async def count_archived(conn: AsyncConnection, *, author_id: int, lo_id: int, hi_id: int) -> int:
    """How many of an author's archived, live posts have ids in [lo_id, hi_id] (`archived_ids`, counted in SQL)."""
    query = select(func.count()).where(
        tweets.c.author_id == author_id, tweets.c.id.between(lo_id, hi_id), tweets.c.deleted_at.is_(None)
    )
    return int((await conn.execute(query)).scalar_one())


async def archived_ids(conn: AsyncConnection, *, author_id: int, lo_id: int, hi_id: int) -> set[int]:
    """Ids of an author's archived, live posts in [lo_id, hi_id]."""
    query = select(tweets.c.id).where(
        tweets.c.author_id == author_id, tweets.c.id.between(lo_id, hi_id), tweets.c.deleted_at.is_(None)
    )
    return {int(r[0]) for r in await conn.execute(query)}


# ---- reads ------------------------------------------------------------------------------------------------------

_READ = (
    tweets.c.id,
    tweets.c.author_id,
    tweets.c.created_at,
    tweets.c.kind,
    tweets.c.text,
    tweets.c.conversation_id,
    tweets.c.in_reply_to_user_id,
    tweets.c.referenced,
    tweets.c.entities,
    tweets.c.lang,
    tweets.c.source,
    tweets.c.metrics,
    tweets.c.metrics_at,
    tweets.c.deleted_at,
)


def _stored(row: RowMapping) -> StoredPost:
    """A post read with `_READ`, by column name; the JSON columns decoded."""
    return from_row(
        StoredPost,
        row,
        referenced=orjson.loads(row["referenced"]) if row["referenced"] else [],
        entities=orjson.loads(row["entities"]) if row["entities"] else {},
        metrics=orjson.loads(row["metrics"]) if row["metrics"] else {},
    )


def _range(author_id: int, start: int, end: int) -> Any:
    return and_(tweets.c.author_id == author_id, tweets.c.created_at >= start, tweets.c.created_at <= end)


async def list_posts(
    conn: AsyncConnection, *, author_id: int, start: int, end: int, offset: int, limit: int
) -> tuple[list[StoredPost], int]:
    """An author's posts created in [start, end], newest first, and how many there are in all."""
    where = _range(author_id, start, end)
    total = int((await conn.execute(select(func.count()).select_from(tweets).where(where))).scalar_one())
    query = select(*_READ).where(where).order_by(tweets.c.created_at.desc(), tweets.c.id.desc())
    rows = await conn.execute(query.offset(offset).limit(limit))
    return [_stored(r) for r in rows.mappings()], total


async def posts_in_range(conn: AsyncConnection, *, author_id: int, start: int, end: int) -> list[StoredPost]:
    """Every post of an author created in [start, end], oldest first (the activity figures)."""
    query = select(*_READ).where(_range(author_id, start, end)).order_by(tweets.c.created_at, tweets.c.id)
    return [_stored(r) for r in (await conn.execute(query)).mappings()]
