"""The stats documents: one snapshot as Tweet Binder's stats payload shows it, the timeline variant with its
activity fields, their JSON straight from rows for the hot route, and the stats CSV."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from pydantic import Field

from roost.core import domain
from roost.schemas.base import Wire
from roost.store.activity import Activity


class StatsDocument(Wire):
    """One snapshot exactly as Tweet Binder's stats payload shows it."""

    id: int = Field(alias="_id", description="The snapshot's bucket: start of its period, unix seconds")
    tweets: int = Field(description="Total posts sent by the account")
    followers: int
    following: int
    lists: int = Field(description="Lists the account is a member of")
    followersFollowing: float = Field(description="followers / max(following, 1), two decimals")
    createdAt: int = Field(description="When the bucket was first collected")
    updatedAt: int = Field(description="When it was last refreshed")

    @classmethod
    def of(cls, s: domain.Snapshot) -> StatsDocument:
        return cls.model_construct(
            id=s.bucket,
            tweets=s.tweets,
            followers=s.followers,
            following=s.following,
            lists=s.lists,
            followersFollowing=domain.followers_following(s.followers, s.following),
            createdAt=s.created_at,
            updatedAt=s.updated_at,
        )


_ACTIVITY_WINDOW = "in the 24 hours before the snapshot was collected, as Roost's post archive knew them then"


class TimelineStatsDocument(StatsDocument):
    """A snapshot in a timeline read (`isTimeline=true`, tag stats): the stats payload plus Tweet Binder's
    activity fields. Roost counts the first five from its post archive when the snapshot is collected and never
    revises them; null when the archive knew nothing of the account then. The last four are never known: null."""

    originals: int | None = Field(
        description=f"Posts published that are not retweets (originals, replies, quotes) {_ACTIVITY_WINDOW}"
    )
    retweetStatuses: int | None = Field(description=f"Retweets published {_ACTIVITY_WINDOW}")
    deleted: int | None = Field(description=f"Posts published (any type) {_ACTIVITY_WINDOW} and found deleted by then")
    retweets: int | None = Field(
        description="Retweets received by the posts that are not retweets and not deleted, published "
        f"{_ACTIVITY_WINDOW} (the sum of their retweet_count as last read)"
    )
    favorites: int | None = Field(
        description="Likes received by the posts that are not retweets and not deleted, published "
        f"{_ACTIVITY_WINDOW} (the sum of their like_count as last read)"
    )
    mentions: None = Field(description="Not known to Roost: always null")
    userValue: None = Field(description="Not known to Roost: always null")
    engagementValue: None = Field(description="Not known to Roost: always null")
    globalScore: None = Field(description="Not known to Roost: always null")

    @classmethod
    def with_activity(cls, s: domain.Snapshot, a: Activity | None) -> TimelineStatsDocument:
        return cls.model_construct(
            **StatsDocument.of(s).__dict__,
            originals=a.originals if a else None,
            retweetStatuses=a.retweet_statuses if a else None,
            deleted=a.deleted if a else None,
            retweets=a.retweets if a else None,
            favorites=a.favorites if a else None,
            mentions=None,
            userValue=None,
            engagementValue=None,
            globalScore=None,
        )


def stats_json(rows: Sequence[Sequence[Any]], *, timeline: bool = False) -> bytes:
    """The JSON of `[StatsDocument.of(s) ...]` (two points) or `[TimelineStatsDocument.with_activity(s, a) ...]`
    (`timeline`: rows carry the five activity columns after the snapshot's), same keys, order and values, encoded
    straight from rows in `domain.Snapshot`'s field order for the hot stats route; tests hold them equal. Written
    as one dict literal per row: a year of hours is 8,760 rows."""
    ratio = domain.followers_following
    docs = [
        {
            "_id": r[1],
            "tweets": r[2],
            "followers": r[3],
            "following": r[4],
            "lists": r[5],
            "followersFollowing": ratio(r[3], r[4]),
            "createdAt": r[6],
            "updatedAt": r[7],
        }
        for r in rows
    ]
    if timeline:
        for doc, r in zip(docs, rows, strict=True):  # stamped together: all five or none (NULL comes as None)
            doc.update(originals=r[8], retweetStatuses=r[9], deleted=r[10], retweets=r[11], favorites=r[12])
            doc.update(mentions=None, userValue=None, engagementValue=None, globalScore=None)
    return orjson.dumps(docs)


STATS_CSV = ["_id", "tweets", "followers", "following", "lists", "followersFollowing", "createdAt", "updatedAt"]


def stats_csv_rows(snapshots: list[domain.Snapshot]) -> list[list[Any]]:
    return [
        [
            s.bucket,
            s.tweets,
            s.followers,
            s.following,
            s.lists,
            domain.followers_following(s.followers, s.following),
            s.created_at,
            s.updated_at,
        ]
        for s in snapshots
    ]
