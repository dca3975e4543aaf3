"""UserState and Post -> X API v2 JSON objects, with field selection.

Posts are immutable apart from their metrics, so the requested static part of a post is serialised once per
(post id, field set) and cached; a request appends `public_metrics` for its instant. Ids are strings,
times carry milliseconds (`2020-12-15T22:15:53.000Z`; tweepy refuses them without the fraction), and the
post-era names ride beside the classic ones (`repost_count`, `post_count`) for newer clients.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import orjson

from roost.xsim.model import Entity, Post, PostMetrics, UserState

Json = dict[str, Any]

_AUDIENCE_METRICS = ("impression_count", "like_count", "reply_count", "retweet_count", "url_link_clicks",
                     "user_profile_clicks")  # fmt: skip
PRIVATE_METRICS: dict[str, tuple[str, ...]] = {
    "non_public_metrics": ("impression_count", "url_link_clicks", "user_profile_clicks"),
    "organic_metrics": _AUDIENCE_METRICS,  # the organic and the promoted audience are counted alike
    "promoted_metrics": _AUDIENCE_METRICS,
}
EDIT_WINDOW_MS = 3_600_000  # posts are editable for an hour
_CACHE_LIMIT = 250_000


def iso_ms(ms: int) -> str:
    """`2020-12-15T22:15:53.000Z`."""
    seconds, millis = divmod(ms, 1000)
    tm = time.gmtime(seconds)
    return (
        f"{tm.tm_year:04d}-{tm.tm_mon:02d}-{tm.tm_mday:02d}T{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}"
        f".{millis:03d}Z"
    )


def _entities(entities: tuple[Entity, ...]) -> Json:
    groups: dict[str, list[Json]] = {}
    for e in entities:
        if e.kind == "hashtag":
            groups.setdefault("hashtags", []).append({"start": e.start, "end": e.end, "tag": e.value})
        elif e.kind == "mention":
            item: Json = {"start": e.start, "end": e.end, "username": e.value}
            if e.mention_id is not None:
                item["id"] = str(e.mention_id)
            groups.setdefault("mentions", []).append(item)
        elif e.kind == "url":
            groups.setdefault("urls", []).append(
                {
                    "start": e.start,
                    "end": e.end,
                    "url": e.value,
                    "expanded_url": e.expanded_url or e.value,
                    "display_url": e.display_url or e.value,
                }
            )
        else:
            groups.setdefault("cashtags", []).append({"start": e.start, "end": e.end, "tag": e.value})
    return groups


def _static_post(post: Post, fields: frozenset[str]) -> Json:
    """Everything about a post that never changes, in the requested selection."""
    pid = str(post.id)
    out: Json = {"id": pid, "text": post.text, "edit_history_tweet_ids": [pid]}
    if "author_id" in fields:
        out["author_id"] = str(post.author_id)
    if "created_at" in fields:
        out["created_at"] = iso_ms(post.created_at_ms)
    if "conversation_id" in fields:
        out["conversation_id"] = str(post.conversation_id or post.id)
    if "in_reply_to_user_id" in fields and post.in_reply_to_user_id is not None:
        out["in_reply_to_user_id"] = str(post.in_reply_to_user_id)
    if "referenced_tweets" in fields and post.references:
        out["referenced_tweets"] = [{"type": kind, "id": str(ref)} for kind, ref in post.references]
    if "entities" in fields and post.entities:
        out["entities"] = _entities(post.entities)
    if "lang" in fields:
        out["lang"] = post.lang
    if "source" in fields:
        out["source"] = post.source
    if "possibly_sensitive" in fields:
        out["possibly_sensitive"] = post.possibly_sensitive
    if "reply_settings" in fields:
        out["reply_settings"] = post.reply_settings
    if "context_annotations" in fields and post.context_annotations:
        out["context_annotations"] = [
            {"domain": {"id": d[0], "name": d[1], "description": d[2]}, "entity": {"id": e[0], "name": e[1]}}
            for d, e in post.context_annotations
        ]
    if "edit_controls" in fields:
        out["edit_controls"] = {
            "edits_remaining": 5,
            "is_edit_eligible": post.kind != "retweet",
            "editable_until": iso_ms(post.created_at_ms + EDIT_WINDOW_MS),
        }
    if "display_text_range" in fields:
        out["display_text_range"] = [0, len(post.text)]
    return out


_METRICS = (
    b',"public_metrics":{"retweet_count":%d,"reply_count":%d,"like_count":%d,"quote_count":%d,'
    b'"bookmark_count":%d,"impression_count":%d,"repost_count":%d}}'
)


class PostRenderer:
    """Posts as X v2 objects, pre-serialised: the static part is cached as JSON bytes per (post id, field set)
    and a request only appends its metrics. The result is an orjson.Fragment, embedded as is by orjson.dumps."""

    def __init__(self, metrics: Callable[[Post, float], PostMetrics]) -> None:
        self._metrics = metrics
        self._cache: dict[tuple[int, frozenset[str]], bytes] = {}

    def __call__(self, post: Post, fields: frozenset[str], t: float) -> orjson.Fragment:
        key = (post.id, fields)
        prefix = self._cache.get(key)
        if prefix is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()  # crude but bounded; rebuilding is cheap
            prefix = self._cache[key] = orjson.dumps(_static_post(post, fields))[:-1]
        if "public_metrics" not in fields:
            return orjson.Fragment(prefix + b"}")
        m = self._metrics(post, t)
        return orjson.Fragment(
            prefix
            + _METRICS
            % (
                m.retweet_count,
                m.reply_count,
                m.like_count,
                m.quote_count,
                m.bookmark_count,
                m.impression_count,
                m.retweet_count,  # repost_count, the post-era name
            )
        )


# ---- users --------------------------------------------------------------------------------------

_DESCRIPTION_ENTITY = re.compile(r"(?<![\w@#$])([#@$])([A-Za-z0-9_]+)|(https?://\S+)")


def _description_entities(text: str) -> Json:
    groups: dict[str, list[Json]] = {}
    for match in _DESCRIPTION_ENTITY.finditer(text):
        start, end = match.span()
        if match.group(3):
            url = match.group(3)
            groups.setdefault("urls", []).append(
                {"start": start, "end": end, "url": url, "expanded_url": url, "display_url": _display(url)}
            )
        elif match.group(1) == "#":
            groups.setdefault("hashtags", []).append({"start": start, "end": end, "tag": match.group(2)})
        elif match.group(1) == "@":
            groups.setdefault("mentions", []).append({"start": start, "end": end, "username": match.group(2)})
        else:
            groups.setdefault("cashtags", []).append({"start": start, "end": end, "tag": match.group(2)})
    return groups


def _display(url: str) -> str:
    return url.split("://", 1)[-1]


def render_user(user: UserState, fields: frozenset[str], most_recent_id: Callable[[], int | None]) -> Json:
    """A user object. `most_recent_id` is only called when the field is asked for."""
    out: Json = {"id": str(user.id), "name": user.name, "username": user.username}
    if not fields:
        return out
    if "created_at" in fields:
        out["created_at"] = iso_ms(int(user.created_at * 1000))
    if "description" in fields:
        out["description"] = user.description
    if "entities" in fields:
        entities: Json = {}
        if user.url:
            entities["url"] = {
                "urls": [
                    {
                        "start": 0,
                        "end": len(user.url),
                        "url": user.url,
                        "expanded_url": user.url,
                        "display_url": _display(user.url),
                    }
                ]
            }
        described = _description_entities(user.description)
        if described:
            entities["description"] = described
        if entities:
            out["entities"] = entities
    if "location" in fields and user.location:
        out["location"] = user.location
    if "pinned_tweet_id" in fields and user.pinned_tweet_id is not None:
        out["pinned_tweet_id"] = str(user.pinned_tweet_id)
    if "profile_image_url" in fields:
        out["profile_image_url"] = user.profile_image_url
    if "protected" in fields:
        out["protected"] = user.status == "protected"
    if "public_metrics" in fields:
        out["public_metrics"] = {
            "followers_count": user.followers_count,
            "following_count": user.following_count,
            "tweet_count": user.tweet_count,
            "listed_count": user.listed_count,
            "like_count": user.like_count,
            "post_count": user.tweet_count,  # the post-era name
        }
    if "url" in fields:
        out["url"] = user.url
    if "verified" in fields:
        out["verified"] = user.verified
    if "verified_type" in fields:
        out["verified_type"] = "blue" if user.verified else "none"
    if "most_recent_tweet_id" in fields:
        newest = most_recent_id()
        if newest is not None:
            out["most_recent_tweet_id"] = str(newest)
    if "subscription_type" in fields:
        out["subscription_type"] = "None"
    if "parody" in fields:
        out["parody"] = False
    if "is_identity_verified" in fields:
        out["is_identity_verified"] = False
    return out
