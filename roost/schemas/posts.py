"""Wire formats of the post archive: posts and per-period activity, with their CSV columns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ConfigDict, Field

from roost.core import activity
from roost.schemas.base import Page, Pagination, Wire, next_offset
from roost.store.tweets import StoredPost


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

    @classmethod
    def of_activity(
        cls,
        rows: Sequence[activity.ActivityRow],
        totals: activity.ActivityRow,
        *,
        interval: str,
        tz: str,
        window: tuple[int, int] | None,
        offset: int = 0,
        limit: int | None = None,
    ) -> ActivityPage:
        """One read of posting activity (the API's `/activity`, the dashboard's chart): its periods from `offset`,
        `limit` of them (all when None), over `window`, the range clipped to the tracker's life."""
        limit = len(rows) if limit is None else limit
        shown = rows[offset : offset + limit]
        return cls(
            pagination=Pagination(
                offset=offset, limit=limit, total=len(rows), nextResults=next_offset(offset, len(shown), len(rows))
            ),
            data=[ActivityDocument.of(r) for r in shown],
            interval=interval,
            tz=tz,
            startDate=window[0] if window else None,
            endDate=window[1] if window else None,
            totals=ActivityDocument.of(totals),
        )


ACTIVITY_CSV = [
    "periodStart", "periodEnd", "label", "posts", *activity.KINDS, "deleted", *activity.ENGAGEMENT, "engagement",
]  # fmt: skip


def activity_csv_row(r: activity.ActivityRow) -> list[Any]:
    return [r.start, r.end, r.label, r.posts, *r.counts.values(), r.deleted, *r.metrics.values(), r.engagement]


# --- operations --------------------------------------------------------------------------------------------------
