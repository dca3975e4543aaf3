"""The stats documents, declared once: each field of `StatsDocument` and `TimelineStatsDocument` names where its
value comes from (a snapshot column, a figure computed from the row, or always null). Everything else is derived
from that declaration: the OpenAPI model (the classes themselves), the JSON encoder every stats answer uses (the
API's route and its lean lane, tag stats, the CLI, exports), and the CSV header and rows.

Rows are read by name: the store hands over its column names with its rows (`store.hot.StatsRows`), and the
encoder looks each declared column up in them once per answer, not once per row. Adding a count to the stats
document is one annotated line here plus the column in the store's column list (README, "Architecture").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
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
    """The field's value is `of` applied to the values of the snapshot columns `inputs`, in that order."""

    of: Callable[..., Any]
    inputs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unknown:
    """A field of Tweet Binder's shape that Roost never knows: always null."""


class StatsDocument(Wire):
    """One snapshot exactly as Tweet Binder's stats payload shows it."""

    id: Annotated[int, Column("bucket")] = Field(
        alias="_id", description="The snapshot's bucket: start of its period, unix seconds"
    )
    tweets: Annotated[int, Column("tweets")] = Field(description="Total posts sent by the account")
    followers: Annotated[int, Column("followers")]
    following: Annotated[int, Column("following")]
    lists: Annotated[int, Column("lists")] = Field(description="Lists the account is a member of")
    followersFollowing: Annotated[float, Computed(domain.followers_following, ("followers", "following"))] = Field(
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
    read: dict[str, None] = {}
    for _, source in fields(timeline):
        if isinstance(source, Column):
            read[source.name] = None
        elif isinstance(source, Computed):
            read.update(dict.fromkeys(source.inputs))
    return tuple(read)


Encoder = Callable[[Sequence[Sequence[Any]]], list[dict[str, Any]]]


@cache
def encoder(fields: tuple[tuple[str, Source], ...], names: tuple[str, ...]) -> Encoder:
    """A function from rows (exactly the columns `names`, in that order) to their documents, keys in the declared
    order. Each declared column is looked up in `names` here, once per shape, and the function is written for
    that shape: one dict display per row, as a hand-written encoder would be (a year of hours is 8,760 rows, and a
    generic loop over the fields cost three times as much)."""
    index = {name: i for i, name in enumerate(names)}
    env: dict[str, Any] = {}
    items = []
    for n, (key, source) in enumerate(fields):
        if isinstance(source, Column):
            value = f"c{index[source.name]}"
        elif isinstance(source, Computed):
            env[f"f{n}"] = source.of
            value = f"f{n}(" + ", ".join(f"c{index[name]}" for name in source.inputs) + ")"
        else:
            value = "None"
        items.append(f"{key!r}: {value}")
    # Each row unpacked into one local a column (a sixth cheaper than indexing it once a field).
    row = "".join(f"c{i}, " for i in range(len(names)))
    code = "lambda rows: [{" + ", ".join(items) + f"}} for ({row}) in rows]"
    encode: Encoder = eval(compile(code, "<stats encoder>", "eval"), env)  # keys are the models' own field names
    return encode


def stats_documents(names: Sequence[str], rows: Sequence[Sequence[Any]], *, timeline: bool) -> list[dict[str, Any]]:
    """The stats documents (`timeline`: with the activity fields) of snapshot rows whose columns are `names`."""
    return encoder(tuple(fields(timeline)), tuple(names))(rows)


def stats_json(names: Sequence[str], rows: Sequence[Sequence[Any]], *, timeline: bool) -> bytes:
    """`stats_documents` as the JSON body every stats answer sends."""
    return orjson.dumps(stats_documents(names, rows, timeline=timeline))


def stats_csv(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> tuple[list[str], list[list[Any]]]:
    """The stats CSV (the header: the stats document's keys; a row per snapshot) of rows whose columns are `names`.
    Every CSV of snapshots (the API's `format=csv`, `roost export`, the dashboard's download) is this one."""
    return [key for key, _ in fields(False)], [
        list(doc.values()) for doc in stats_documents(names, rows, timeline=False)
    ]
