"""What Roost keeps from X API v2 posts: the timeline's pages and the post lookup, parsed into plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple

from roost.xapi.models import LookupProblem, parse_problem

PostKind = Literal["original", "reply", "retweet", "quote"]

# Everything the archive stores, in one request: no second call per post is ever needed.
TWEET_FIELDS = (
    "author_id,context_annotations,conversation_id,created_at,entities,in_reply_to_user_id,lang,"
    "possibly_sensitive,public_metrics,referenced_tweets,reply_settings,source"
)
TIMELINE_CAP = 3200  # X serves only the 3200 newest posts of a timeline (800 with exclude=replies)
PAGE_MAX = 100


class XPost(NamedTuple):
    """Immutable; a NamedTuple rather than a frozen dataclass because a backfill builds 3200 of them and a frozen
    dataclass's __init__ costs three times as much."""

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
class TimelineHead:
    """A timeline page before its posts are parsed: enough to ask for the next page at once (a backfill sends
    the next request first and parses this page while X answers)."""

    items: list[dict[str, Any]]  # the page's `data`, newest first, as X sent it
    next_token: str | None
    author_tweet_count: int | None
    problems: list[LookupProblem]

    def page(self) -> TimelinePage:
        return TimelinePage(
            posts=parse_posts(self.items),
            next_token=self.next_token,
            author_tweet_count=self.author_tweet_count,
            problems=self.problems,
        )


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
    if value is None:
        return None
    if type(value) is str:  # what X sends: ids are strings
        return int(value) if value.isdigit() else None
    return int(value) if str(value).isdigit() else None


_from_iso = datetime.fromisoformat  # Python 3.11 reads X's trailing `Z`


def parse_time(value: str) -> int:
    """`2020-12-15T22:15:53.000Z` -> unix seconds."""
    return int(_from_iso(value).timestamp())


def parse_post(item: dict[str, Any]) -> XPost:
    """One post of a page. Called 3200 times a backfill, so it stays lean: positional construction, no list or
    dict built for a post that references nothing."""
    refs = item.get("referenced_tweets")
    if refs:
        referenced = [{"type": str(ref.get("type")), "id": str(ref.get("id"))} for ref in refs]
        kind = post_kind(referenced)
    else:
        referenced, kind = [], "original"
    metrics = item.get("public_metrics")
    return XPost(
        int(item["id"]),
        int(item["author_id"]),
        parse_time(str(item["created_at"])),
        kind,
        str(item.get("text", "")),
        _optional_int(item.get("conversation_id")),
        _optional_int(item.get("in_reply_to_user_id")),
        referenced,
        item.get("entities"),
        item.get("lang"),
        item.get("source"),
        {k: int(v) for k, v in metrics.items()} if isinstance(metrics, dict) else None,
        item,
    )


def parse_posts(items: list[dict[str, Any]]) -> list[XPost]:
    return [parse_post(item) for item in items]


def timeline_head(body: dict[str, Any]) -> TimelineHead:
    meta = body.get("meta") or {}
    count: int | None = None
    for user in (body.get("includes") or {}).get("users") or []:
        metrics = user.get("public_metrics") or {}
        if "tweet_count" in metrics or "post_count" in metrics:
            count = int(metrics.get("tweet_count", metrics.get("post_count", 0)))
    return TimelineHead(
        items=body.get("data") or [],
        next_token=meta.get("next_token"),
        author_tweet_count=count,
        problems=[parse_problem(item) for item in body.get("errors") or []],
    )


def parse_timeline(body: dict[str, Any]) -> TimelinePage:
    return timeline_head(body).page()


def parse_post_lookup(body: dict[str, Any]) -> PostLookup:
    return PostLookup(
        posts=parse_posts(body.get("data") or []),
        problems=[parse_problem(item) for item in body.get("errors") or []],
    )
