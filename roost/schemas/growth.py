"""Wire formats of growth and compare: the growth document (rows, totals, glitches), its JSON built as plain
dicts for the API, the compare document and the growth CSV."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from roost.core import analytics
from roost.schemas.base import Wire


class GrowthRow(Wire):
    id: int = Field(alias="_id", description="The period's start, unix seconds")
    periodEnd: int = Field(description="The next period's start")
    label: str
    followers: int | None = Field(description="Value at the period's end (null: no good snapshot in it)")
    followersChange: int | None
    following: int | None
    followingChange: int | None
    tweets: int | None
    tweetsChange: int | None
    lists: int | None
    listsChange: int | None
    snapshots: int
    glitches: int


class TotalDocument(Wire):
    start: int | None
    end: int | None
    absolute: int | None
    percent: float | None
    avgDaily: float | None
    projection30d: int | None


class GlitchDocument(Wire):
    id: int = Field(alias="_id", description="The snapshot's bucket")
    metric: str
    value: int = Field(description="What X answered")
    expected: int = Field(description="The last good value")


class GrowthDocument(Wire):
    id: str = Field(alias="_id", description="The tracker's resourceId")
    alias: str
    startDate: int
    endDate: int
    interval: str
    tz: str
    rows: list[GrowthRow]
    totals: dict[str, TotalDocument]
    glitches: list[GlitchDocument]

    @classmethod
    def of(cls, tracker_id: str, alias: str, g: analytics.Growth) -> GrowthDocument:
        return cls.model_validate(growth_document(tracker_id, alias, g))


def growth_document(tracker_id: str, alias: str, g: analytics.Growth) -> dict[str, Any]:
    """The JSON of a GrowthDocument, keys in its fields' order, built as plain dicts: the API answers it as is
    (validating a month of rows as models cost more than computing them); `GrowthDocument.of` validates it."""
    rows = []
    for r in g.rows:
        values, changes = r.values, r.changes
        rows.append(
            {
                "_id": r.start,
                "periodEnd": r.end,
                "label": r.label,
                "followers": values["followers"],
                "followersChange": changes["followers"],
                "following": values["following"],
                "followingChange": changes["following"],
                "tweets": values["tweets"],
                "tweetsChange": changes["tweets"],
                "lists": values["lists"],
                "listsChange": changes["lists"],
                "snapshots": r.snapshots,
                "glitches": r.glitches,
            }
        )
    return {
        "_id": tracker_id,
        "alias": alias,
        "startDate": g.start,
        "endDate": g.end,
        "interval": g.interval,
        "tz": g.tz,
        "rows": rows,
        "totals": {
            m: {
                "start": t.start,
                "end": t.end,
                "absolute": t.absolute,
                "percent": t.percent,
                "avgDaily": t.avg_daily,
                "projection30d": t.projection_30d,
            }
            for m, t in g.totals.items()
        },
        "glitches": [
            {"_id": x.bucket, "metric": x.metric, "value": x.value, "expected": x.expected} for x in g.glitches
        ],
    }


class CompareDocument(Wire):
    startDate: int
    endDate: int
    interval: str
    tz: str
    trackers: list[GrowthDocument]


GROWTH_CSV = [
    "periodStart",
    "periodEnd",
    "label",
    *(col for m in analytics.METRICS for col in (m, f"{m}Change")),
    "snapshots",
    "glitches",
]


def growth_csv_row(row: analytics.Row) -> list[Any]:
    return [
        row.start,
        row.end,
        row.label,
        *(v for m in analytics.METRICS for v in (row.values[m], row.changes[m])),
        row.snapshots,
        row.glitches,
    ]


# --- posts and activity ------------------------------------------------------------------------------------------
