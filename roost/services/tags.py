"""Tags: an account's named groups of trackers (to compare them side by side)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from roost.core.text import skeleton, visible_name
from roost.services.errors import Invalid, NotFound, ServiceError, TooMany, found
from roost.services.runtime import Runtime
from roost.store import tags as tag_store
from roost.store.accounts import Account
from roost.store.db import transaction
from roost.store.tags import Tag

MAX_NAME = 64
DUP_TAG_NAME = "tag name already exists"  # Tweet Binder's wording, with its code DUP_TAG_NAME and status 400


def clean_name(name: str) -> str:
    """The name in NFC, stripped; Invalid when it is empty, too long, or holds characters people cannot see or
    letters of look-alike scripts mixed (core/text.py: visible_name)."""
    name, problem = visible_name(name)
    if not name or len(name) > MAX_NAME:
        raise Invalid("name", f"A tag name needs 1 to {MAX_NAME} characters.")
    if problem is not None:
        raise Invalid("name", f"The tag name {problem}.")
    return name


async def _refuse_lookalike(conn: AsyncConnection, account: Account, name: str, *, tag_id: str | None = None) -> None:
    """Invalid when another of the account's tags has a different name that looks the same (one skeleton); the
    same exact name is left to the store's DUP_TAG_NAME."""
    shape = skeleton(name)
    for other_id, other in await tag_store.tag_names(conn, account_id=account.id):
        if other_id != tag_id and other != name and skeleton(other) == shape:
            raise Invalid("name", f"The tag name looks like the existing tag '{other}'; pick one that looks different.")


async def create(rt: Runtime, account: Account, name: str) -> str:
    """The new tag's id. A taken name is Tweet Binder's 400 `DUP_TAG_NAME`; past the operator's tag limit
    (`ROOST_TAG_LIMIT`), 429 "invalid balance". Nothing is written either way."""
    name = clean_name(name)
    limit = rt.settings.tag_limit
    async with transaction(rt.engine) as conn:
        if limit is not None and await tag_store.count_tags(conn, account_id=account.id) >= limit:
            raise TooMany("no_balance", "invalid balance", field="name")
        await _refuse_lookalike(conn, account, name)
        tag_id = await tag_store.create_tag(conn, account_id=account.id, name=name, now=rt.now())
    if tag_id is None:
        raise ServiceError("DUP_TAG_NAME", DUP_TAG_NAME, field="name")
    return tag_id


async def usage(rt: Runtime, account: Account) -> tuple[int | None, int]:
    """The operator's tag limit (None: unlimited) and how many tags the account has."""
    async with rt.engine.connect() as conn:
        return rt.settings.tag_limit, await tag_store.count_tags(conn, account_id=account.id)


async def get(rt: Runtime, account: Account, tag_id: str) -> Tag:
    """One of the account's tags with its trackers; NotFound for unknown and foreign ids alike."""
    async with rt.engine.connect() as conn:
        return found(await tag_store.get_tag(conn, account_id=account.id, tag_id=tag_id), "tag")


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
    """Rename one of the account's tags; the clean new name. NotFound, or the create's `DUP_TAG_NAME` when the
    name is taken (one answer for one problem)."""
    name = clean_name(name)
    async with transaction(rt.engine) as conn:
        await _refuse_lookalike(conn, account, name, tag_id=tag_id)
        result = await tag_store.rename_tag(conn, account_id=account.id, tag_id=tag_id, name=name, now=rt.now())
    if result == "not_found":
        raise NotFound("tag")
    if result == "exists":
        raise ServiceError("DUP_TAG_NAME", DUP_TAG_NAME, field="name")
    return name


async def delete(rt: Runtime, account: Account, tag_id: str) -> None:
    """Delete one of the account's tags; its trackers are not touched. NotFound for another account's tag."""
    async with transaction(rt.engine) as conn:
        if not await tag_store.delete_tag(conn, account_id=account.id, tag_id=tag_id):
            raise NotFound("tag")
