"""Roost extensions over the timeline archive: a tracker's `/tweets` and its `/activity`, JSON or CSV.

Both read the author's archived posts inside the tracker's life (from the snapshot bucket it was created in to
the moment it stopped), as `/stats` does: a tracker shows what happened while it was tracking.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from roost import activity
from roost.api.csvout import Format, csv_response
from roost.api.deps import ServicesDep, TrackerDep
from roost.api.errors import bad_request
from roost.api.pagination import PageDep
from roost.api.periods import check_period_count, parse_period
from roost.store import tweets as tweet_store
from roost.store.trackers import Tracker
from roost.store.tweets import StoredPost

router = APIRouter(prefix="/user-trackers", tags=["timeline"])

StartQ = Annotated[int, Query(description="unix seconds, inclusive")]
EndQ = Annotated[int, Query(description="unix seconds, inclusive")]


def clip(tracker: Tracker, start: int, end: int, interval_seconds: int) -> tuple[int, int] | None:
    """[start, end] inside the tracker's life, or None when they do not meet. 400 for dates out of order."""
    if start > end:
        raise bad_request("startDate", "startDate must not be after endDate.")
    return tracker.clip(start, end, interval_seconds)


def post_document(post: StoredPost) -> dict[str, Any]:
    return {
        "_id": str(post.id),
        "authorId": str(post.author_id),
        "type": post.kind,
        "text": post.text,
        "createdAt": post.created_at,
        "conversationId": None if post.conversation_id is None else str(post.conversation_id),
        "inReplyToUserId": None if post.in_reply_to_user_id is None else str(post.in_reply_to_user_id),
        "referencedTweets": post.referenced,
        "entities": post.entities,
        "lang": post.lang,
        "source": post.source,
        "publicMetrics": post.metrics,
        "metricsAt": post.metrics_at,
        "deletedAt": post.deleted_at,
    }


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


@router.get("/{resourceId}/tweets", summary="The account's archived posts in a date range, newest first")
async def tweets(
    services: ServicesDep,
    tracker: TrackerDep,
    page: PageDep,
    startDate: StartQ,
    endDate: EndQ,
    format: Format = "json",
) -> Any:
    window = clip(tracker, startDate, endDate, services.settings.snapshot_interval)
    posts: list[StoredPost] = []
    total = 0
    if window is not None:
        async with services.engine.connect() as conn:
            posts, total = await tweet_store.list_posts(
                conn,
                author_id=tracker.x_user_id,
                start=window[0],
                end=window[1],
                offset=page.offset,
                limit=page.limit,
            )
    if format == "csv":
        return csv_response(f"tweets-{tracker.alias}.csv", POST_CSV, [post_csv_row(p) for p in posts])
    return page.envelope([post_document(p) for p in posts], total)


def activity_document(row: activity.ActivityRow) -> dict[str, Any]:
    return {
        "_id": row.start,
        "periodEnd": row.end,
        "label": row.label,
        "posts": row.posts,
        **row.counts,
        "deleted": row.deleted,
        **row.metrics,
        "engagement": row.engagement,
    }


ACTIVITY_CSV = [
    "periodStart", "periodEnd", "label", "posts", *activity.KINDS, "deleted", *activity.ENGAGEMENT, "engagement",
]  # fmt: skip


@router.get("/{resourceId}/activity", summary="Per-period posts by type and the engagement they received")
async def activity_view(
    services: ServicesDep,
    tracker: TrackerDep,
    page: PageDep,
    startDate: StartQ,
    endDate: EndQ,
    interval: Annotated[str, Query(description="hour, day, week or month")] = "day",
    tz: Annotated[str | None, Query(description="IANA time zone of the periods (default UTC)", max_length=64)] = None,
    format: Format = "json",
) -> Any:
    period, zone = parse_period(interval, tz)
    window = clip(tracker, startDate, endDate, services.settings.snapshot_interval)
    if window is not None:
        check_period_count(*window, period)
    rows: list[activity.ActivityRow] = []
    total = activity.ActivityRow(startDate, endDate + 1, "total")
    if window is not None:
        async with services.engine.connect() as conn:
            posts = await tweet_store.posts_in_range(conn, author_id=tracker.x_user_id, start=window[0], end=window[1])
        rows, total = activity.activity(posts, start=window[0], end=window[1], interval=period, tz=zone)
    shown = rows[page.offset : page.offset + page.limit]
    if format == "csv":
        body = [
            [r.start, r.end, r.label, r.posts, *r.counts.values(), r.deleted, *r.metrics.values(), r.engagement]
            for r in shown
        ]
        return csv_response(f"activity-{tracker.alias}.csv", ACTIVITY_CSV, body)
    envelope = page.envelope([activity_document(r) for r in shown], len(rows))
    envelope.update(
        interval=period,
        tz=zone.key,
        startDate=window[0] if window else None,
        endDate=window[1] if window else None,
        totals=activity_document(total),
    )
    return envelope
