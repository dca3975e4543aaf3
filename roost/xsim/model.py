"""The emulator's world as plain data: what an account and a post are at a given instant.

`world.World` computes these from (seed, account, time); `render` turns them into X API v2 JSON.
Times are unix seconds (float) for instants and integer milliseconds for post creation, as snowflake ids carry ms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PostKind = Literal["original", "reply", "retweet", "quote"]
ReferenceType = Literal["retweeted", "quoted", "replied_to"]
AccountStatus = Literal["active", "suspended", "protected"]

# X's snowflake epoch (2010-11-04T01:42:54.657Z) in milliseconds.
TWEPOCH_MS = 1288834974657


@dataclass(frozen=True, slots=True)
class UserState:
    """An existing account as seen at one instant. Accounts that do not exist at that instant are `None`."""

    id: int
    username: str  # the screen name in force at that instant (renames change it, never the id)
    name: str
    created_at: float
    description: str
    location: str
    url: str
    profile_image_url: str
    verified: bool
    status: AccountStatus  # "protected" still answers lookups; its timeline is refused
    pinned_tweet_id: int | None
    followers_count: int
    following_count: int
    tweet_count: int  # always equals the number of the account's posts created at or before the instant
    listed_count: int
    like_count: int


@dataclass(frozen=True, slots=True)
class Entity:
    """A span of a post's text; `start`/`end` are code-point offsets, end exclusive, as X v2 sends them."""

    kind: Literal["hashtag", "mention", "url", "cashtag"]
    start: int
    end: int
    value: str  # tag without '#'/'$', username without '@', or the t.co url
    expanded_url: str = ""  # urls only
    display_url: str = ""  # urls only
    mention_id: int | None = None  # mentions only


@dataclass(frozen=True, slots=True)
class Post:
    """One post. Immutable apart from its public metrics, which `World.metrics(post, t)` computes."""

    id: int
    author_id: int
    index: int  # 0-based position in the author's history (the author's tweet_count just after it is index + 1)
    created_at_ms: int
    kind: PostKind
    text: str
    references: tuple[tuple[ReferenceType, int], ...] = ()
    in_reply_to_user_id: int | None = None
    conversation_id: int = 0
    lang: str = "en"
    source: str = "Twitter Web App"
    possibly_sensitive: bool = False
    reply_settings: Literal["everyone", "mentionedUsers", "following"] = "everyone"
    entities: tuple[Entity, ...] = ()
    context_annotations: tuple[tuple[tuple[str, str, str], tuple[str, str]], ...] = field(default=())
    # ((domain_id, domain_name, domain_description), (entity_id, entity_name)) pairs


@dataclass(frozen=True, slots=True)
class PostMetrics:
    retweet_count: int
    reply_count: int
    like_count: int
    quote_count: int
    bookmark_count: int
    impression_count: int


def snowflake(created_at_ms: int, low_bits: int) -> int:
    """Compose a post id: ms since X's epoch in the high bits, 22 low bits (datacenter, worker, sequence)."""
    return ((created_at_ms - TWEPOCH_MS) << 22) | (low_bits & 0x3FFFFF)


def snowflake_ms(post_id: int) -> int:
    """The creation time (ms) a post id encodes."""
    return (post_id >> 22) + TWEPOCH_MS
