"""Row helpers shared by the store modules (the dialect helpers are in roost.store.sql): reading a result row into
the dataclass whose fields are named after its columns, and the "at most once every N seconds" timestamp write."""

from __future__ import annotations

from dataclasses import fields
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Column, ColumnElement, or_, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")


@cache
def _field_names(cls: type[DataclassInstance]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def from_row(cls: type[T], row: RowMapping, **given: Any) -> T:
    """A `cls` dataclass from a result row: each field from the column of the same name, except the fields
    `given` (a value computed or read under another name). Columns no field names are ignored."""
    found = {name: row[name] for name in _field_names(cls) if name not in given}
    return cls(**found, **given)


async def stamp_if_due(
    conn: AsyncConnection, stamp: Column[Any], *where: ColumnElement[bool], now: int, every: int
) -> bool:
    """Set `stamp` to `now` on the row `where` picks if it is NULL or at least `every` seconds old. One conditional
    UPDATE, so of concurrent callers (in any process) one writes, and the time never moves backwards; returns
    whether this call wrote."""
    result = await conn.execute(
        update(stamp.table).where(*where, or_(stamp.is_(None), stamp <= now - every)).values({stamp: now})
    )
    return result.rowcount == 1
