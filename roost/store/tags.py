"""Tags: an account's named groups of trackers, for comparing them side by side."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.store.rows import from_row
from roost.store.schema import tags, tracker_tags, trackers
from roost.store.sql import dialect_insert


@dataclass(frozen=True, slots=True)
class Tag:
    id: str
    account_id: int
    name: str
    created_at: int
    updated_at: int
    tracker_ids: tuple[str, ...]


async def create_tag(conn: AsyncConnection, *, account_id: int, name: str, now: int) -> str | None:
    """The new tag's id, or None when the account already has a tag of that exact name (nothing written)."""
    stmt = dialect_insert(conn, tags).values(
        id=str(uuid.uuid4()), account_id=account_id, name=name, created_at=now, updated_at=now
    )
    result = await conn.execute(
        stmt.on_conflict_do_nothing(index_elements=[tags.c.account_id, tags.c.name]).returning(tags.c.id)
    )
    tag_id: str | None = result.scalar_one_or_none()
    return tag_id


async def assign(
    conn: AsyncConnection,
    *,
    account_id: int,
    add: Sequence[str],
    remove: Sequence[str],
    tracker_ids: Sequence[str],
    now: int,
) -> list[str]:
    """Put the trackers in the `add` tags and take them out of the `remove` tags (removal first, so a tag in both
    ends up assigned). Every id must be the account's: otherwise nothing is written and the unknown or foreign
    ids are returned, sorted. Adding an existing pair or removing a missing one is not an error."""
    tag_ids, wanted_trackers = set(add) | set(remove), set(tracker_ids)
    own_tags = set(
        (await conn.execute(select(tags.c.id).where(tags.c.account_id == account_id, tags.c.id.in_(tag_ids)))).scalars()
    )
    own_trackers = set(
        (
            await conn.execute(
                select(trackers.c.id).where(trackers.c.account_id == account_id, trackers.c.id.in_(wanted_trackers))
            )
        ).scalars()
    )
    missing = sorted((tag_ids - own_tags) | (wanted_trackers - own_trackers))
    if missing or not tag_ids or not wanted_trackers:
        return missing
    if remove:
        await conn.execute(
            delete(tracker_tags).where(
                tracker_tags.c.tag_id.in_(set(remove)), tracker_tags.c.tracker_id.in_(wanted_trackers)
            )
        )
    pairs = [{"tracker_id": t, "tag_id": g} for g in dict.fromkeys(add) for t in dict.fromkeys(tracker_ids)]
    if pairs:
        await conn.execute(dialect_insert(conn, tracker_tags).values(pairs).on_conflict_do_nothing())
    await conn.execute(update(tags).where(tags.c.id.in_(tag_ids)).values(updated_at=now))
    return []


async def tag_names(conn: AsyncConnection, *, account_id: int) -> list[tuple[str, str]]:
    """(id, name) of every tag of the account (for comparing a new name with them)."""
    query = select(tags.c.id, tags.c.name).where(tags.c.account_id == account_id)
    return [(r.id, r.name) for r in await conn.execute(query)]


async def list_tags(
    conn: AsyncConnection, *, account_id: int, offset: int = 0, limit: int = 20
) -> tuple[list[Tag], int]:
    """A page of the account's tags by name, each with its trackers' ids, and how many tags there are."""
    total = (
        await conn.execute(select(func.count()).select_from(tags).where(tags.c.account_id == account_id))
    ).scalar_one()
    query = (
        select(tags).where(tags.c.account_id == account_id).order_by(tags.c.name, tags.c.id).offset(offset).limit(limit)
    )
    rows = (await conn.execute(query)).mappings().all()
    members: dict[str, list[str]] = {}
    if rows:
        pairs = await conn.execute(
            select(tracker_tags.c.tag_id, tracker_tags.c.tracker_id)
            .where(tracker_tags.c.tag_id.in_([r["id"] for r in rows]))
            .order_by(tracker_tags.c.tag_id, tracker_tags.c.tracker_id)
        )
        for tag_id, tracker_id in pairs:
            members.setdefault(tag_id, []).append(tracker_id)
    found = [from_row(Tag, r, tracker_ids=tuple(members.get(r["id"], ()))) for r in rows]
    return found, int(total)


async def tracker_ids_for_tag(conn: AsyncConnection, *, account_id: int, tag_id: str) -> list[str] | None:
    """The trackers in one of the account's tags (for `compare?tag=`), or None when the tag is not the account's."""
    owner = (await conn.execute(select(tags.c.account_id).where(tags.c.id == tag_id))).scalar_one_or_none()
    if owner != account_id:
        return None
    query = select(tracker_tags.c.tracker_id).where(tracker_tags.c.tag_id == tag_id).order_by(tracker_tags.c.tracker_id)
    return list((await conn.execute(query)).scalars())


async def get_tag(conn: AsyncConnection, *, account_id: int, tag_id: str) -> Tag | None:
    """One of the account's tags with its trackers' ids; None for unknown and foreign ids alike."""
    row = (
        (await conn.execute(select(tags).where(tags.c.id == tag_id, tags.c.account_id == account_id)))
        .mappings()
        .first()
    )
    if row is None:
        return None
    query = select(tracker_tags.c.tracker_id).where(tracker_tags.c.tag_id == tag_id).order_by(tracker_tags.c.tracker_id)
    members = tuple((await conn.execute(query)).scalars())
    return from_row(Tag, row, tracker_ids=members)


async def count_tags(conn: AsyncConnection, *, account_id: int) -> int:
    query = select(func.count()).select_from(tags).where(tags.c.account_id == account_id)
    return int((await conn.execute(query)).scalar_one())


async def rename_tag(conn: AsyncConnection, *, account_id: int, tag_id: str, name: str, now: int) -> str:
    """Rename one of the account's tags: "ok", "not_found" (not the account's) or "exists" (the name is taken)."""
    owner = (await conn.execute(select(tags.c.account_id).where(tags.c.id == tag_id))).scalar_one_or_none()
    if owner != account_id:
        return "not_found"
    taken = await conn.execute(
        select(tags.c.id).where(tags.c.account_id == account_id, tags.c.name == name, tags.c.id != tag_id)
    )
    if taken.first() is not None:
        return "exists"
    await conn.execute(update(tags).where(tags.c.id == tag_id).values(name=name, updated_at=now))
    return "ok"


async def delete_tag(conn: AsyncConnection, *, account_id: int, tag_id: str) -> bool:
    """Delete one of the account's tags (its trackers stay, untagged); False when it is not the account's."""
    await conn.execute(
        delete(tracker_tags).where(
            tracker_tags.c.tag_id == tag_id,
            tracker_tags.c.tag_id.in_(select(tags.c.id).where(tags.c.account_id == account_id)),
        )
    )
    result = await conn.execute(delete(tags).where(tags.c.id == tag_id, tags.c.account_id == account_id))
    return bool(result.rowcount)
