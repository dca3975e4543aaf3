"""Exports of one tracker's history, each as a JSON document (the API's) and CSV columns (the API's
`format=csv`): every snapshot (`stats`), the growth rows (`growth`) or the archived posts (`tweets`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from roost.schemas import (
    GROWTH_CSV,
    POST_CSV,
    GrowthDocument,
    PostDocument,
    growth_csv_row,
    post_csv_row,
    stats_csv,
    stats_documents,
)
from roost.services import history, reports
from roost.services.errors import Invalid
from roost.services.runtime import Runtime
from roost.store.trackers import Tracker

What = Literal["stats", "growth", "tweets"]
EXPORTS: tuple[What, ...] = ("stats", "growth", "tweets")


@dataclass(frozen=True)
class Export:
    document: Any  # JSON-ready
    header: list[str]
    rows: list[list[Any]]


async def export(
    rt: Runtime,
    tracker: Tracker,
    *,
    what: str,
    start: int,
    end: int,
    interval: str = "day",
    tz: str | None = None,
) -> Export:
    if what == "stats":
        read = await reports.owned_stats(
            rt, tracker.account_id, tracker.id, start=start, end=end, timeline=True, with_activity=False
        )
        docs = stats_documents(read.names, read.rows, timeline=False)
        marked = await history.imported_buckets(rt, tracker, start=start, end=end)
        for doc in docs if marked else []:  # some history came from elsewhere: say which
            doc["imported"] = doc["_id"] in marked
        header, rows = stats_csv(read.names, read.rows)
        return Export(docs, *history.mark_imported(header, rows, [row[0] for row in rows], marked))
    if what == "growth":
        g = await reports.growth(rt, tracker, start=start, end=end, interval=interval, tz=tz)
        doc = GrowthDocument.of(tracker.id, tracker.alias, g).dump()
        return Export(doc, GROWTH_CSV, [growth_csv_row(r) for r in g.rows])
    if what == "tweets":
        found = await reports.posts(rt, tracker, start=start, end=end)
        return Export([PostDocument.of(p).dump() for p in found], POST_CSV, [post_csv_row(p) for p in found])
    raise Invalid("what", f"what must be one of {', '.join(EXPORTS)}")
