"""Wire formats of tags: bodies, the tag document and Tweet Binder's tag stats."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from roost.schemas.base import Id, Input, Wire, at_most
from roost.schemas.stats import TimelineStatsDocument, stats_documents
from roost.schemas.trackers import refresh_times
from roost.store.hot import StatsRows
from roost.store.tags import Tag
from roost.store.trackers import TrackerView


class TagBody(Input):
    name: str = Field(min_length=1, max_length=64)


class AssignBody(Input):
    add: Annotated[list[Id], BeforeValidator(at_most(100))] = Field(default_factory=list, max_length=100)
    delete: Annotated[list[Id], BeforeValidator(at_most(100))] = Field(default_factory=list, max_length=100)
    trackers: Annotated[list[Id], BeforeValidator(at_most(1000))] = Field(min_length=1, max_length=1000)


class TagDocument(Wire):
    id: str = Field(alias="_id")
    createdAt: int
    updatedAt: int
    name: str
    userId: str = Field(description="The id of the Roost account that owns the tag, as a string")
    trackers: list[str]

    @classmethod
    def of(cls, tag: Tag) -> TagDocument:
        return cls(
            id=tag.id,
            createdAt=tag.created_at,
            updatedAt=tag.updated_at,
            name=tag.name,
            userId=str(tag.account_id),
            trackers=list(tag.tracker_ids),
        )


class TagRef(Wire):
    id: str = Field(alias="_id")
    createdAt: int
    name: str


class TagTracker(Wire):
    """One tracker of a tag with its snapshots (Tweet Binder's tag stats)."""

    id: str = Field(alias="_id", description="The tracker's resourceId")
    alias: str
    name: str = Field(description="The X account's display name")
    bio: str | None
    picture: str | None
    age: int | None = Field(description="When the X account was created, unix seconds")
    createdAt: int
    refreshedAt: int | None
    refreshDate: int | None
    refreshInterval: int
    refreshOffset: int
    timeline: list[TimelineStatsDocument] = Field(
        description="The snapshots in the range (every one with isTimeline=true, else the first and the last)"
    )


class TagStats(Wire):
    tag: TagRef
    trackers: list[TagTracker]


def tag_stats_document(
    tag: Tag, trackers: list[tuple[TrackerView, StatsRows]], *, interval: int, now: int
) -> dict[str, Any]:
    """The JSON of a TagStats, keys in its fields' order: each tracker's timeline is the stats documents of its
    rows (`stats_documents`, the encoder of every stats answer)."""
    return {
        "tag": {"_id": tag.id, "createdAt": tag.created_at, "name": tag.name},
        "trackers": [_tag_tracker(view, found, interval=interval, now=now) for view, found in trackers],
    }


def _tag_tracker(view: TrackerView, found: StatsRows, *, interval: int, now: int) -> dict[str, Any]:
    p = view.profile
    refresh_date, refreshed_at = refresh_times(view, interval=interval, now=now)
    return {
        "_id": view.tracker.id,
        "alias": view.tracker.alias,
        "name": view.name,
        "bio": p.description if p else None,
        "picture": p.profile_image_url if p else None,
        "age": p.account_created_at if p else None,
        "createdAt": view.tracker.created_at,
        "refreshedAt": refreshed_at,
        "refreshDate": refresh_date,
        "refreshInterval": interval,
        "refreshOffset": 0,
        "timeline": stats_documents(found.names, found.rows, timeline=True),
    }
