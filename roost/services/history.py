"""What of a tracker's history was imported (`roost import tweetbinder|archive`) rather than collected by Roost:
the dashboard's tracker page and the exports say so."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from roost.services.runtime import Runtime
from roost.store import imports
from roost.store.trackers import Tracker


@dataclass(frozen=True)
class ImportedHistory:
    snapshots: int
    first: int  # the first imported snapshot's bucket
    last: int


async def imported_history(rt: Runtime, tracker: Tracker) -> ImportedHistory | None:
    """The imported snapshots inside the tracker's life, or None when all of it was collected here."""
    lo, hi = tracker.life(rt.interval)
    async with rt.engine.connect() as conn:
        n, first, last = await imports.imported_summary(conn, x_user_id=tracker.x_user_id, lo=lo, hi=hi)
    return ImportedHistory(n, first, last) if n else None


async def imported_buckets(rt: Runtime, tracker: Tracker, *, start: int, end: int) -> set[int]:
    """The buckets in [start, end] (and the tracker's life) whose snapshot was imported."""
    lo, hi = tracker.life(rt.interval)
    async with rt.engine.connect() as conn:
        return await imports.imported_buckets(
            conn, x_user_id=tracker.x_user_id, lo=max(lo, start), hi=end if hi is None else min(hi, end)
        )


def mark_imported(
    header: list[str], rows: list[list[Any]], buckets: list[int], marked: set[int]
) -> tuple[list[str], list[list[Any]]]:
    """CSV columns and rows of snapshots with an `imported` column (true/false) when any of them was imported;
    unchanged when none was, so exports of collected history keep their columns."""
    if not marked:
        return header, rows
    return [*header, "imported"], [
        [*row, "true" if b in marked else "false"] for row, b in zip(rows, buckets, strict=True)
    ]
