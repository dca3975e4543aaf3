"""The wire formats: pydantic models of every document Roost answers, shared by the API (as response models, so
the OpenAPI description is the truth), the CLI's `--json` and the dashboard, plus the CSV columns of each export.

Tweet Binder's shapes use `_id`; pydantic keeps leading underscores private, so those fields are declared as `id`
with the alias `_id` and are always dumped by alias (`dump()` does it; FastAPI does it for response models).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any, Generic, Literal, TypeVar

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StringConstraints, field_validator

from roost.core import activity, analytics, domain
from roost.core.text import unstorable
from roost.store.accounts import Account, SlotBalance
from roost.store.activity import Activity
from roost.store.tags import Tag
from roost.store.trackers import TrackerView
from roost.store.tweets import StoredPost

T = TypeVar("T")


class Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    def dump(self) -> dict[str, Any]:
        """The JSON-ready document, keys as on the wire."""
        return self.model_dump(mode="json", by_alias=True)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


class Input(Wire):
    """A request body. Every string in it must be storable (no NUL, no lone surrogate: core.text), so bad text is
    a 400 naming the field on both databases instead of a driver error."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        for text in _strings(value):
            problem = unstorable(text)
            if problem is not None:
                raise ValueError(problem)
        return value


def at_most(limit: int) -> Callable[[Any], Any]:
    """A before-validator refusing a list longer than `limit` before any item is validated (pydantic counts only
    after validating every item, so a huge list would cost its full validation)."""

    def check(value: Any) -> Any:
        if isinstance(value, list) and len(value) > limit:
            raise ValueError(f"List should have at most {limit} items, not {len(value)}")
        return value

    return check


Id = Annotated[str, StringConstraints(max_length=64)]  # a resourceId or tag id as clients send it


# --- errors ------------------------------------------------------------------------------------------------------


class ErrorBody(Wire):
    """Tweet Binder's error body."""

    statusCode: int = Field(description="The HTTP status again")
    error: str = Field(description="Its reason phrase, e.g. 'Bad Request'")
    message: str = Field(description="What went wrong, for people; names the field for bad input")
    extra: dict[str, Any] = Field(
        description="Roost's stable snake_case `code` and details, e.g. {'code': 'invalid_request', 'field': 'x'}"
    )


# --- lists -------------------------------------------------------------------------------------------------------


class Pagination(Wire):
    offset: int
    limit: int
    total: int
    nextResults: int | None = Field(description="The offset of the next page, or null when nothing remains")


class Page(Wire, Generic[T]):
    """Tweet Binder's list envelope."""

    pagination: Pagination
    data: list[T]

    @classmethod
    def of(cls, data: list[T], *, offset: int, limit: int, total: int) -> Page[T]:
        return cls(
            pagination=Pagination(
                offset=offset, limit=limit, total=total, nextResults=next_offset(offset, len(data), total)
            ),
            data=data,
        )


def page_document(data: list[Any], *, offset: int, limit: int, total: int) -> dict[str, Any]:
    """The JSON of `Page.of(data, ...)` for documents already in their JSON form."""
    pagination = {
        "offset": offset,
        "limit": limit,
        "total": total,
        "nextResults": next_offset(offset, len(data), total),
    }
    return {"pagination": pagination, "data": data}


def next_offset(offset: int, shown: int, total: int) -> int | None:
    """Tweet Binder's `nextResults`: the next page's offset, or None when this page is the last."""
    return offset + shown if offset + shown < total else None


# --- accounts ----------------------------------------------------------------------------------------------------


class LoginBody(Input):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class PasswordBody(Input):
    currentPassword: str = Field(min_length=1, max_length=1024)
    newPassword: str = Field(min_length=8, max_length=1024, description="At least 8 characters")


class SessionDocument(Wire):
    id: int = Field(alias="_id", description="The session's id (for DELETE /me/sessions/{sessionId})")
    createdAt: int = Field(description="When it was issued (the login)")
    expiresAt: int | None
    lastUsedAt: int | None = Field(description="Last use, to the minute, or null")
    current: bool = Field(description="Whether this request was made with it")


class LoginToken(Wire):
    authToken: str = Field(description="Bearer token for the Authorization header")
    expiresAt: int = Field(description="Unix seconds when the token stops working")


class Me(Wire):
    id: int = Field(alias="_id")
    email: str
    name: str
    createdAt: int

    @classmethod
    def of(cls, account: Account) -> Me:
        return cls(id=account.id, email=account.email, name=account.name, createdAt=account.created_at)


class BalanceItem(Wire):
    balance: int = Field(description="Tracker slots free")
    total: int = Field(description="Tracker slots in all")


class TagBalanceItem(Wire):
    balance: int | Literal["unlimited"] = Field(description="Tags that can still be made, or 'unlimited'")
    total: int | Literal["unlimited"] = Field(description="Tags allowed in all, or 'unlimited'")


TRACKER_BALANCE = "twitter:parallel:user-trackers"
TAG_BALANCE = "twitter:parallel:user-trackers-tags"


class Balances(Wire):
    """Tweet Binder's balances: an object keyed by balance name."""

    trackers: BalanceItem = Field(alias=TRACKER_BALANCE, description="Tracker slots")
    tags: TagBalanceItem = Field(alias=TAG_BALANCE, description="Tags ('unlimited' unless the operator set a limit)")

    @classmethod
    def of(cls, slots: SlotBalance, *, tag_limit: int | None, tags_used: int) -> Balances:
        tags = (
            TagBalanceItem(balance="unlimited", total="unlimited")
            if tag_limit is None
            else TagBalanceItem(balance=max(0, tag_limit - tags_used), total=tag_limit)
        )
        return cls(trackers=BalanceItem(balance=slots.free, total=slots.total), tags=tags)


# --- trackers ----------------------------------------------------------------------------------------------------


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


# --- tags --------------------------------------------------------------------------------------------------------


class TagBody(Input):
    name: str = Field(min_length=1, max_length=64)


class ResourceId(Wire):
    resourceId: str


class AssignBody(Input):
    add: Annotated[list[Id], BeforeValidator(at_most(100))] = Field(default_factory=list, max_length=100)
    delete: Annotated[list[Id], BeforeValidator(at_most(100))] = Field(default_factory=list, max_length=100)
    trackers: Annotated[list[Id], BeforeValidator(at_most(1000))] = Field(min_length=1, max_length=1000)


class Ok(Wire):
    ok: bool = True


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

    @classmethod
    def of(
        cls, view: TrackerView, rows: list[tuple[domain.Snapshot, Activity | None]], *, interval: int, now: int
    ) -> TagTracker:
        p = view.profile
        refresh_date, refreshed_at = refresh_times(view, interval=interval, now=now)
        return cls(
            id=view.tracker.id,
            alias=view.tracker.alias,
            name=view.name,
            bio=p.description if p else None,
            picture=p.profile_image_url if p else None,
            age=p.account_created_at if p else None,
            createdAt=view.tracker.created_at,
            refreshedAt=refreshed_at,
            refreshDate=refresh_date,
            refreshInterval=interval,
            refreshOffset=0,
            timeline=[TimelineStatsDocument.with_activity(s, a) for s, a in rows],
        )


class TagStats(Wire):
    tag: TagRef
    trackers: list[TagTracker]


# --- X profiles --------------------------------------------------------------------------------------------------


class XProfile(Wire):
    id: str = Field(description="The X user id")
    name: str = Field(description="Display name")
    alias: str = Field(description="The current screen name")


# --- growth and compare ------------------------------------------------------------------------------------------


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


class PostDocument(Wire):
    id: str = Field(alias="_id")
    authorId: str
    type: str = Field(description="original, reply, retweet or quote")
    text: str
    createdAt: int
    conversationId: str | None
    inReplyToUserId: str | None
    referencedTweets: list[dict[str, str]]
    entities: dict[str, Any]
    lang: str | None
    source: str | None
    publicMetrics: dict[str, int] = Field(description="X's public_metrics as last read")
    metricsAt: int | None = Field(description="When publicMetrics were read")
    deletedAt: int | None = Field(description="When the post was found deleted, or null")

    @classmethod
    def of(cls, post: StoredPost) -> PostDocument:
        return cls(
            id=str(post.id),
            authorId=str(post.author_id),
            type=post.kind,
            text=post.text,
            createdAt=post.created_at,
            conversationId=None if post.conversation_id is None else str(post.conversation_id),
            inReplyToUserId=None if post.in_reply_to_user_id is None else str(post.in_reply_to_user_id),
            referencedTweets=post.referenced,
            entities=post.entities,
            lang=post.lang,
            source=post.source,
            publicMetrics=post.metrics,
            metricsAt=post.metrics_at,
            deletedAt=post.deleted_at,
        )


POST_CSV = [
    "id", "createdAt", "type", "text", "conversationId", "inReplyToUserId", "referencedTweetId", "lang", "source",
    *activity.ENGAGEMENT, "metricsAt", "deletedAt",
]  # fmt: skip


def post_csv_row(post: StoredPost) -> list[Any]:
    ref = post.referenced[0]["id"] if post.referenced else None
    return [
        str(post.id), post.created_at, post.kind, post.text, post.conversation_id, post.in_reply_to_user_id, ref,
        post.lang, post.source, *(activity.metric(post, name) for name in activity.ENGAGEMENT), post.metrics_at,
        post.deleted_at,
    ]  # fmt: skip


class ActivityDocument(Wire):
    model_config = ConfigDict(extra="allow")  # one count per post type and engagement metric (see the docs)

    id: int = Field(alias="_id", description="The period's start")
    periodEnd: int
    label: str
    posts: int
    deleted: int
    engagement: int = Field(description="likes + retweets + replies + quotes received by the period's own posts")

    @classmethod
    def of(cls, row: activity.ActivityRow) -> ActivityDocument:
        return cls.model_validate(
            {
                "_id": row.start,
                "periodEnd": row.end,
                "label": row.label,
                "posts": row.posts,
                **row.counts,
                "deleted": row.deleted,
                **row.metrics,
                "engagement": row.engagement,
            }
        )


class ActivityPage(Page[ActivityDocument]):
    interval: str
    tz: str
    startDate: int | None
    endDate: int | None
    totals: ActivityDocument


ACTIVITY_CSV = [
    "periodStart", "periodEnd", "label", "posts", *activity.KINDS, "deleted", *activity.ENGAGEMENT, "engagement",
]  # fmt: skip


def activity_csv_row(r: activity.ActivityRow) -> list[Any]:
    return [r.start, r.end, r.label, r.posts, *r.counts.values(), r.deleted, *r.metrics.values(), r.engagement]


# --- operations --------------------------------------------------------------------------------------------------


class Health(Wire):
    status: Literal["ok", "degraded"]
    time: int
    database: str
    collector: dict[str, Any]
    upstream: dict[str, Any]
    demo: str | None = Field(default=None, description="The first run's demo: 'building N/30 days', then 'ready'")


# --- CSV ---------------------------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: `None` is empty, and a string that would start a formula (post text
    comes from third parties) gets a leading apostrophe, as OWASP advises. Numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """RFC 4180 text: a header row, then one row per item."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue()
