"""Pure: what an account posted per calendar period, by type, and the engagement those posts received.

Engagement sums the latest known public metrics of the account's own posts (originals, replies, quotes). A
retweet's counters belong to the post it repeats, so retweets count as posts but add no engagement. Deleted posts
were posted all the same: they count, and are also counted apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

from roost.core import analytics

KINDS = ("original", "reply", "retweet", "quote")
# Our column -> X's public_metrics key(s), classic name first (post-era payloads may carry only the new one).
ENGAGEMENT: dict[str, tuple[str, ...]] = {
    "likeCount": ("like_count",),
    "retweetCount": ("retweet_count", "repost_count"),
    "replyCount": ("reply_count",),
    "quoteCount": ("quote_count",),
    "bookmarkCount": ("bookmark_count",),
    "impressionCount": ("impression_count",),
}
ENGAGING = ("likeCount", "retweetCount", "replyCount", "quoteCount")  # what `engagement` adds up


class PostLike(Protocol):
    @property
    def created_at(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def metrics(self) -> Mapping[str, int]: ...
    @property
    def deleted_at(self) -> int | None: ...


@dataclass
class ActivityRow:
    start: int
    end: int  # the next period's start
    label: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    deleted: int = 0
    metrics: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ENGAGEMENT, 0))

    @property
    def posts(self) -> int:
        return sum(self.counts.values())

    @property
    def engagement(self) -> int:
        return sum(self.metrics[name] for name in ENGAGING)

    def add(self, post: PostLike) -> None:
        self.counts[post.kind] = self.counts.get(post.kind, 0) + 1
        if post.deleted_at is not None:
            self.deleted += 1
        if post.kind == "retweet":
            return
        for name, keys in ENGAGEMENT.items():
            self.metrics[name] += next((int(post.metrics[k]) for k in keys if k in post.metrics), 0)


def metric(post: PostLike, name: str) -> int:
    """One of ENGAGEMENT's columns for a single post (0 when X did not say)."""
    return next((int(post.metrics[k]) for k in ENGAGEMENT[name] if k in post.metrics), 0)


def activity(
    posts: Sequence[PostLike], *, start: int, end: int, interval: analytics.Interval, tz: ZoneInfo
) -> tuple[list[ActivityRow], ActivityRow]:
    """Rows for every period overlapping [start, end] (empty ones included, so a chart has no holes), and the
    totals over the posts inside [start, end]."""
    rows = [
        ActivityRow(s, e, analytics.period_label(s, interval, tz))
        for s, e in analytics.periods(start, end, interval, tz)
    ]
    total = ActivityRow(start, end + 1, "total")
    index = 0
    for post in sorted(posts, key=lambda p: p.created_at):
        if not start <= post.created_at <= end:
            continue
        while index < len(rows) and post.created_at >= rows[index].end:
            index += 1
        if index < len(rows):
            rows[index].add(post)
        total.add(post)
    return rows, total
