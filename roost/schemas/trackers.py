"""Wire formats of trackers: the tracker document (with its profile and refresh times), the create and stop
bodies and answers, and the X profile lookup."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StrictBool

from roost.core import domain
from roost.schemas.base import Id, Input, Wire, at_most
from roost.schemas.stats import StatsDocument
from roost.store.trackers import TrackerView


class ProfileDocument(Wire):
    """The tracked X account's profile, refreshed by every hourly lookup."""

    id: str = Field(description="The X user id the tracker follows")
    name: str = Field(description="Display name")
    picture: str | None = Field(description="Profile image URL")
    bio: str | None = Field(description="The profile's description")
    location: str | None = Field(description="The profile's location, or null when it has none")
    age: int | None = Field(description="When the X account was created, unix seconds")


def refresh_times(view: TrackerView, *, interval: int, now: int) -> tuple[int | None, int | None]:
    """(refreshDate, refreshedAt): when the next collection is due (the current bucket while it is not collected
    yet, else the next one; null once stopped) and when the last successful one was (null before any)."""
    last = view.last_snapshot
    refreshed = last.updated_at if last else None
    if view.tracker.status != "active":
        return None, refreshed
    current = domain.bucket_of(now, interval)
    return (current + interval if last and last.bucket >= current else current), refreshed


class TrackerDocument(Wire):
    """Tweet Binder's tracker document (its recorded fields first), the same from every endpoint and the CLI."""

    id: str = Field(alias="_id", description="The tracker's resourceId")
    createdAt: int
    updatedAt: int
    status: Literal["active", "stopped"]
    userId: str = Field(description="The id of the Roost account that owns the tracker, as a string")
    alias: str = Field(description="The screen name as asked")
    firstStats: int | None = Field(description="The bucket of the first snapshot inside the tracker's life")
    refreshInterval: int = Field(description="Seconds between collections")
    refreshDate: int | None = Field(description="When the next collection is due, unix seconds (null once stopped)")
    refreshOffset: int = Field(description="Seconds into each period when collection starts (always 0)")
    refreshedAt: int | None = Field(description="When the last successful collection was, unix seconds")
    profile: ProfileDocument
    username: str = Field(description="The account's current screen name")
    stoppedAt: int | None
    lastSnapshot: StatsDocument | None = Field(description="The newest snapshot inside the tracker's life")
    tags: list[str] = Field(description="Ids of the tags the tracker is in")
    lastError: str | None = Field(description="Why recent collections failed, or null")
    archive: bool = Field(description="Whether the account's posts are archived (off: hourly snapshots only)")

    @classmethod
    def of(cls, view: TrackerView, *, interval: int, now: int) -> TrackerDocument:
        return cls.model_validate(tracker_document(view, interval=interval, now=now))


def _stats_document(s: domain.Snapshot) -> dict[str, Any]:
    return {
        "_id": s.bucket,
        "tweets": s.tweets,
        "followers": s.followers,
        "following": s.following,
        "lists": s.lists,
        "followersFollowing": domain.followers_following(s.followers, s.following),
        "createdAt": s.created_at,
        "updatedAt": s.updated_at,
    }


def tracker_document(view: TrackerView, *, interval: int, now: int) -> dict[str, Any]:
    """The JSON of a TrackerDocument, keys in its fields' order, as plain dicts: the API's lists answer it as is
    (a page of models validated twice, once built and once by FastAPI, cost more than reading the page);
    `TrackerDocument.of` validates it."""
    t = view.tracker
    p = view.profile
    refresh_date, refreshed_at = refresh_times(view, interval=interval, now=now)
    return {
        "_id": t.id,
        "createdAt": t.created_at,
        "updatedAt": t.updated_at,
        "status": "active" if t.status == "active" else "stopped",
        "userId": str(t.account_id),
        "alias": t.alias,
        "firstStats": view.first_bucket,
        "refreshInterval": interval,
        "refreshDate": refresh_date,
        "refreshOffset": 0,
        "refreshedAt": refreshed_at,
        "profile": {
            "id": str(t.x_user_id),
            "name": view.name,
            "picture": p.profile_image_url if p else None,
            "bio": p.description if p else None,
            "location": p.location if p else None,
            "age": p.account_created_at if p else None,
        },
        "username": view.username,
        "stoppedAt": t.stopped_at,
        "lastSnapshot": _stats_document(view.last_snapshot) if view.last_snapshot else None,
        "tags": list(view.tag_ids),
        "lastError": view.last_error,
        "archive": bool(t.archive),
    }


_ARCHIVE = "Archive the account's posts too (default true; false: hourly snapshots only, the cheapest)"


class AliasItem(Input):
    alias: str = Field(min_length=1, max_length=64, description="X screen name, with or without '@'")
    archive: StrictBool = Field(default=True, description=_ARCHIVE)


class Created(Wire):
    alias: str
    resourceId: str


class AliasProblem(Wire):
    alias: str
    code: str = Field(description="invalid_alias, duplicate_in_request, already_tracking, no_balance, ...")
    message: str


class CreateResult(Wire):
    errors: list[AliasProblem]
    ok: list[Created]


class AliasBody(Input):
    alias: str = Field(min_length=1, max_length=64, description="X screen name, with or without '@'")
    archive: StrictBool = Field(default=True, description=_ARCHIVE)


class StopBody(Input):
    userTrackers: Annotated[list[Id], BeforeValidator(at_most(1000))] = Field(min_length=1, max_length=1000)


class StopProblem(Wire):
    resourceId: str
    code: str = Field(description="not_found or already_stopped")
    message: str


class StopResult(Wire):
    errors: list[StopProblem]
    ok: list[str]


class XProfile(Wire):
    id: str = Field(description="The X user id")
    name: str = Field(description="Display name")
    alias: str = Field(description="The current screen name")
