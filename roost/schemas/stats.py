"""The stats documents, declared once: each field of `StatsDocument` and `TimelineStatsDocument` names where its
value comes from (a snapshot column, a figure computed from the row, or always null). Everything else is derived
from that declaration: the OpenAPI model (the classes themselves), the JSON encoder every stats answer uses (the
API's route and its lean lane, tag stats, the CLI, exports), and the CSV header and rows.

Rows are read by name: the store hands over its column names with its rows (`store.hot.StatsRows`), and the
encoder looks each declared column up in them once per answer, not once per row. Adding a count to the stats
document is one annotated line here plus the column in the store's column list (README, "Architecture").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Annotated, Any

import orjson
from pydantic import Field

from roost.core import domain
from roost.schemas.base import Wire


@dataclass(frozen=True, slots=True)
class Column:
    """The field's value is this snapshot column, as stored."""

    name: str


@dataclass(frozen=True, slots=True)
class Computed:
    """The field's value is computed from the document's other (column) fields, by wire key."""

    of: Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class Unknown:
    """A field of Tweet Binder's shape that Roost never knows: always null."""


def _ratio(doc: Mapping[str, Any]) -> float:
    return domain.followers_following(doc["followers"], doc["following"])


class StatsDocument(Wire):
    """One snapshot exactly as Tweet Binder's stats payload shows it."""

    id: Annotated[int, Column("bucket")] = Field(
        alias="_id", description="The snapshot's bucket: start of its period, unix seconds"
    )
    tweets: Annotated[int, Column("tweets")] = Field(description="Total posts sent by the account")
    followers: Annotated[int, Column("followers")]
    following: Annotated[int, Column("following")]
    lists: Annotated[int, Column("lists")] = Field(description="Lists the account is a member of")
    followersFollowing: Annotated[float, Computed(_ratio)] = Field(
        description="followers / max(following, 1), two decimals"
    )
    createdAt: Annotated[int, Column("created_at")] = Field(description="When the bucket was first collected")
    updatedAt: Annotated[int, Column("updated_at")] = Field(description="When it was last refreshed")


_ACTIVITY_WINDOW = "in the 24 hours before the snapshot was collected, as Roost's post archive knew them then"
_LIKED = "received by the posts that are not retweets and not deleted, published " + _ACTIVITY_WINDOW
_NEVER = "Not known to Roost: always null"


class TimelineStatsDocument(StatsDocument):
    """A snapshot in a timeline read (`isTimeline=true`, tag stats): the stats payload plus Tweet Binder's
    activity fields. Roost counts the first five from its post archive when the snapshot is collected and never
    revises them; null when the archive knew nothing of the account then. The last four are never known: null."""

    originals: Annotated[int | None, Column("originals")] = Field(
        description=f"Posts published that are not retweets (originals, replies, quotes) {_ACTIVITY_WINDOW}"
    )
    retweetStatuses: Annotated[int | None, Column("retweet_statuses")] = Field(
        description=f"Retweets published {_ACTIVITY_WINDOW}"
    )
    deleted: Annotated[int | None, Column("deleted")] = Field(
        description=f"Posts published (any type) {_ACTIVITY_WINDOW} and found deleted by then"
    )
    retweets: Annotated[int | None, Column("retweets")] = Field(
        description=f"Retweets {_LIKED} (the sum of their retweet_count as last read)"
    )
    favorites: Annotated[int | None, Column("favorites")] = Field(
        description=f"Likes {_LIKED} (the sum of their like_count as last read)"
    )
    mentions: Annotated[None, Unknown()] = Field(description=_NEVER)
    userValue: Annotated[None, Unknown()] = Field(description=_NEVER)
    engagementValue: Annotated[None, Unknown()] = Field(description=_NEVER)
    globalScore: Annotated[None, Unknown()] = Field(description=_NEVER)


Source = Column | Computed | Unknown


def declaration(model: type[Wire]) -> list[tuple[str, Source]]:
    """The model's fields in order as (wire key, where the value comes from). A field declaring no source is a
    mistake in this module, found when it is imported."""
    out = []
    for name, info in model.model_fields.items():
        found = [m for m in info.metadata if isinstance(m, Column | Computed | Unknown)]
        if len(found) != 1:
            raise TypeError(f"{model.__name__}.{name} must declare one Column, Computed or Unknown")
        out.append((info.alias or name, found[0]))
    return out


STATS_FIELDS = declaration(StatsDocument)
TIMELINE_FIELDS = declaration(TimelineStatsDocument)


def fields(timeline: bool) -> list[tuple[str, Source]]:
    """The declaration a stats answer follows (read when called, so every answer path follows the same one)."""
    return TIMELINE_FIELDS if timeline else STATS_FIELDS


def columns(timeline: bool) -> tuple[str, ...]:
    """The snapshot columns a stats answer reads, in declaration order (what the store must select)."""
    return tuple(source.name for _, source in fields(timeline) if isinstance(source, Column))


Encoder = Callable[[Sequence[Any]], dict[str, Any]]


def encoder(fields: Sequence[tuple[str, Source]], names: Sequence[str]) -> Encoder:
    """A function from one row (values in the order of the column `names`) to its document, keys in the declared
    order. Built once per answer: each declared column is looked up in `names` here, so a row is read by name
    without a lookup per value, and the per-row work is C-level (a key template, zip, itemgetter)."""
    index = {name: i for i, name in enumerate(names)}
    plain = [key for key, source in fields if isinstance(source, Column)]
    get = itemgetter(*(index[source.name] for _, source in fields if isinstance(source, Column)))
    computed = [(key, source.of) for key, source in fields if isinstance(source, Computed)]
    template = dict.fromkeys(key for key, _ in fields)  # every key in order; Unknown ones stay None
    if len(plain) == 1:
        only = plain[0]

        def one(row: Sequence[Any]) -> dict[str, Any]:
            doc = template.copy()
            doc[only] = get(row)
            for key, of in computed:
                doc[key] = of(doc)
            return doc

        return one

    def encode(row: Sequence[Any]) -> dict[str, Any]:
        doc = template.copy()
        doc.update(zip(plain, get(row), strict=True))
        for key, of in computed:
            doc[key] = of(doc)
        return doc

    return encode


def stats_documents(names: Sequence[str], rows: Sequence[Sequence[Any]], *, timeline: bool) -> list[dict[str, Any]]:
    """The stats documents (`timeline`: with the activity fields) of snapshot rows whose columns are `names`."""
    encode = encoder(fields(timeline), names)
    return [encode(row) for row in rows]


def stats_json(names: Sequence[str], rows: Sequence[Sequence[Any]], *, timeline: bool) -> bytes:
    """`stats_documents` as the JSON body every stats answer sends."""
    return orjson.dumps(stats_documents(names, rows, timeline=timeline))


def stats_csv(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> tuple[list[str], list[list[Any]]]:
    """The stats CSV (the header: the stats document's keys; a row per snapshot) of rows whose columns are `names`.
    Every CSV of snapshots (the API's `format=csv`, `roost export`, the dashboard's download) is this one."""
    return [key for key, _ in fields(False)], [
        list(doc.values()) for doc in stats_documents(names, rows, timeline=False)
    ]
