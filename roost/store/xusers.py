"""X users: one row per X account any tracker follows, with what we last learned about it.

Trackers point at the X user id, never the screen name, so a rename only changes `username` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.store.schema import x_users
from roost.store.sql import dialect_insert

UserState = Literal["ok", "suspended", "not_found", "protected"]
PROTECTED_ERROR = "The X account is protected: its counts are still collected, its posts cannot be read."


class XUserInfo(Protocol):
    """What a user lookup tells us (roost.xapi.XUser has these fields)."""

    @property
    def id(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def protected(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class XUserRow:
    id: int
    username: str
    name: str
    state: str
    last_error: str | None
    last_error_at: int | None
    tweet_count_seen: int | None
    newest_post_id: int | None
    lease_owner: str | None
    lease_until: int | None
    last_bucket: int
    created_at: int
    updated_at: int


def xuser_from_row(row: RowMapping) -> XUserRow:
    return XUserRow(**{name: row[name] for name in XUserRow.__slots__})


async def upsert_x_users(conn: AsyncConnection, *, users: Sequence[XUserInfo], now: int) -> None:
    """Insert new X users and refresh the name and state of known ones: a lookup just saw them, so any earlier
    error is over. A new row starts outside the collection queue (`collect` false, no bucket collected);
    `roost.store.queue` owns those columns from then on (`queue.advance_bucket` records a bucket as collected)."""
    if not users:
        return
    rows = [
        {
            "id": u.id,
            "username": u.username,
            "name": u.name,
            "state": "protected" if u.protected else "ok",
            "last_error": PROTECTED_ERROR if u.protected else None,
            "last_error_at": now if u.protected else None,
            "collect": False,  # `queue.follow` sets it once a tracker follows the user
            "created_at": now,
            "updated_at": now,
        }
        for u in {u.id: u for u in users}.values()  # one row per id: ON CONFLICT cannot touch a row twice
    ]
    stmt = _UPSERTS.get(conn.dialect.name)
    if stmt is None:
        stmt = _UPSERTS[conn.dialect.name] = _upsert_statement(conn)
    await conn.execute(stmt, rows)


def _upsert_statement(conn: AsyncConnection) -> Any:
    """Built once per dialect and run with executemany, so it is compiled once. On a known user it never touches
    the queue's columns (`roost.store.queue`): they follow the trackers and the collector, not what a lookup saw."""
    stmt = dialect_insert(conn, x_users)
    return stmt.on_conflict_do_update(
        index_elements=[x_users.c.id],
        set_={
            "username": stmt.excluded.username,
            "name": stmt.excluded.name,
            "state": stmt.excluded.state,
            "last_error": stmt.excluded.last_error,
            "last_error_at": stmt.excluded.last_error_at,
            "updated_at": stmt.excluded.updated_at,
        },
    )


_UPSERTS: dict[str, Any] = {}


async def get_x_user(conn: AsyncConnection, *, x_user_id: int) -> XUserRow | None:
    row = (await conn.execute(select(x_users).where(x_users.c.id == x_user_id))).mappings().first()
    return xuser_from_row(row) if row else None


async def get_x_users(conn: AsyncConnection, *, x_user_ids: Sequence[int]) -> dict[int, XUserRow]:
    """The known users among `x_user_ids`, by id."""
    if not x_user_ids:
        return {}
    rows = (await conn.execute(select(x_users).where(x_users.c.id.in_(set(x_user_ids))))).mappings()
    return {r["id"]: xuser_from_row(r) for r in rows}


async def set_state(
    conn: AsyncConnection, *, x_user_id: int, state: UserState, now: int, error: str | None = None
) -> None:
    """Record what the upstream said about a user. 'ok' clears the error; any other state keeps `error` (why
    collection failed, shown to API users as the tracker's `lastError`) and when it happened."""
    values: dict[str, object] = {"state": state, "updated_at": now}
    if state == "ok":
        values.update(last_error=None, last_error_at=None)
    else:
        values.update(last_error=error or state.replace("_", " "), last_error_at=now)
    await conn.execute(update(x_users).where(x_users.c.id == x_user_id).values(**values))
