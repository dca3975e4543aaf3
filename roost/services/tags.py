"""Tags: an account's named groups of trackers (to compare them side by side)."""

from __future__ import annotations

from collections.abc import Sequence

from roost.services.errors import Conflict, Invalid, NotFound
from roost.services.runtime import Runtime
from roost.store import tags as tag_store
from roost.store.accounts import Account
from roost.store.db import transaction
from roost.store.tags import Tag

MAX_NAME = 64


def clean_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise Invalid("name", f"A tag name needs 1 to {MAX_NAME} characters.")
    return name


async def create(rt: Runtime, account: Account, name: str) -> str:
    """The new tag's id; Conflict when the account already has a tag of that name (nothing written)."""
    name = clean_name(name)
    async with transaction(rt.engine) as conn:
        tag_id = await tag_store.create_tag(conn, account_id=account.id, name=name, now=rt.now())
    if tag_id is None:
        raise Conflict("tag_exists", f"A tag called '{name}' already exists.", field="name")
    return tag_id


async def assign(
    rt: Runtime, account: Account, *, add: Sequence[str], remove: Sequence[str], tracker_ids: Sequence[str]
) -> None:
    """Put trackers in tags and take them out, all or nothing: NotFound (nothing written) if any id is unknown."""
    async with transaction(rt.engine) as conn:
        missing = await tag_store.assign(
            conn, account_id=account.id, add=add, remove=remove, tracker_ids=tracker_ids, now=rt.now()
        )
    if missing:
        raise NotFound("tag or tracker", ids=missing)


async def page(rt: Runtime, account: Account, *, offset: int = 0, limit: int = 20) -> tuple[list[Tag], int]:
    """A page of the account's tags by name, each with its trackers' ids, and how many there are."""
    async with rt.engine.connect() as conn:
        return await tag_store.list_tags(conn, account_id=account.id, offset=offset, limit=limit)


async def every(rt: Runtime, account: Account) -> list[Tag]:
    found, _ = await page(rt, account, limit=1000)
    return found


async def tracker_ids(rt: Runtime, account: Account, tag_id: str) -> list[str]:
    """The trackers in one of the account's tags; NotFound for another account's or an unknown tag."""
    async with rt.engine.connect() as conn:
        ids = await tag_store.tracker_ids_for_tag(conn, account_id=account.id, tag_id=tag_id)
    if ids is None:
        raise NotFound("tag")
    return ids


async def rename(rt: Runtime, account: Account, tag_id: str, name: str) -> str:
    """Rename one of the account's tags; the clean new name. NotFound, or Conflict when the name is taken."""
    name = clean_name(name)
    async with transaction(rt.engine) as conn:
        result = await tag_store.rename_tag(conn, account_id=account.id, tag_id=tag_id, name=name, now=rt.now())
    if result == "not_found":
        raise NotFound("tag")
    if result == "exists":
        raise Conflict("tag_exists", f"A tag called '{name}' already exists.", field="name")
    return name


async def delete(rt: Runtime, account: Account, tag_id: str) -> None:
    """Delete one of the account's tags; its trackers are not touched. NotFound for another account's tag."""
    async with transaction(rt.engine) as conn:
        if not await tag_store.delete_tag(conn, account_id=account.id, tag_id=tag_id):
            raise NotFound("tag")
