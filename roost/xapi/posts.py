"""What Roost keeps from X API v2 posts: the timeline's pages and the post lookup, parsed into plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from roost.xapi.models import LookupProblem, parse_problem

PostKind = Literal["original", "reply", "retweet", "quote"]

# Everything the archive stores, in one request: no second call per post is ever needed.
TWEET_FIELDS = (
    "author_id,context_annotations,conversation_id,created_at,entities,in_reply_to_user_id,lang,"
    "possibly_sensitive,public_metrics,referenced_tweets,reply_settings,source"
)
TIMELINE_CAP = 3200  # X serves only the 3200 newest posts of a timeline (800 with exclude=replies)
PAGE_MAX = 100


@dataclass(frozen=True, slots=True)
class XPost:
    id: int
    author_id: int
    created_at: int  # unix seconds
    kind: PostKind
    text: str
    conversation_id: int | None
    in_reply_to_user_id: int | None
    referenced: list[dict[str, str]]  # [{"type": "retweeted|quoted|replied_to", "id": "..."}]
    entities: dict[str, Any] | None
    lang: str | None
    source: str | None
    metrics: dict[str, int] | None
    raw: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TimelinePage:
    posts: list[XPost]  # newest first
    next_token: str | None
    author_tweet_count: int | None  # the author's tweet_count when the page was read (includes.users)
    problems: list[LookupProblem]  # a suspended, unknown or protected author: errors instead of posts


@dataclass(frozen=True, slots=True)
class PostLookup:
    posts: list[XPost]
    problems: list[LookupProblem]


def post_kind(referenced: list[dict[str, str]]) -> PostKind:
    """X marks a post's type only through `referenced_tweets`; a retweet wins over a reply, a reply over a quote
    (a reply that quotes is counted as a reply, as X's own analytics do)."""
    types = {ref.get("type") for ref in referenced}
    if "retweeted" in types:
        return "retweet"
    if "replied_to" in types:
        return "reply"
    if "quoted" in types:
        return "quote"
    return "original"


def _optional_int(value: Any) -> int | None:
    return int(value) if value is not None and str(value).isdigit() else None


def parse_time(value: str) -> int:
    """`2020-12-15T22:15:53.000Z` -> unix seconds."""
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def parse_post(item: dict[str, Any]) -> XPost:
    referenced = [
        {"type": str(ref.get("type")), "id": str(ref.get("id"))} for ref in item.get("referenced_tweets") or []
    ]
    metrics = item.get("public_metrics")
    return XPost(
        id=int(item["id"]),
        author_id=int(item["author_id"]),
        created_at=parse_time(str(item["created_at"])),
        kind=post_kind(referenced),
        text=str(item.get("text", "")),
        conversation_id=_optional_int(item.get("conversation_id")),
        in_reply_to_user_id=_optional_int(item.get("in_reply_to_user_id")),
        referenced=referenced,
        entities=item.get("entities"),
        lang=item.get("lang"),
        source=item.get("source"),
        metrics={k: int(v) for k, v in metrics.items()} if isinstance(metrics, dict) else None,
        raw=item,
    )


def parse_timeline(body: dict[str, Any]) -> TimelinePage:
    meta = body.get("meta") or {}
    count: int | None = None
    for user in (body.get("includes") or {}).get("users") or []:
        metrics = user.get("public_metrics") or {}
        if "tweet_count" in metrics or "post_count" in metrics:
            count = int(metrics.get("tweet_count", metrics.get("post_count", 0)))
    return TimelinePage(
        posts=[parse_post(item) for item in body.get("data") or []],
        next_token=meta.get("next_token"),
        author_tweet_count=count,
        problems=[parse_problem(item) for item in body.get("errors") or []],
    )


def parse_post_lookup(body: dict[str, Any]) -> PostLookup:
    return PostLookup(
        posts=[parse_post(item) for item in body.get("data") or []],
        problems=[parse_problem(item) for item in body.get("errors") or []],
    )
