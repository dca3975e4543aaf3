"""Which of an author's posts a timeline request sees, and how pages walk through them.

An author's history is indexed 0..n-1 (index order == id order == time order). A request selects the contiguous
range [lo, hi): the reachable window first (the 3200 newest posts, or the 800 newest with exclude=replies; our
reading of "only the most recent 800 Tweets are available": take the 800 newest, then filter), narrowed by
since_id/until_id (exclusive) or, when neither is given, by start_time/end_time (inclusive, whole seconds).
`exclude` then filters kinds inside the range, and posts deleted through the admin API are left out (they keep
their place in the index space, so the reachable window is counted as if they were there: a small liberty).
The first page fixes [lo, hi) into its tokens, so later pages walk the same selection by absolute index: posts
that arrive meanwhile shift nothing, nothing is skipped or repeated, forward (next_token, older) or backward
(previous_token, newer).
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Protocol

from roost.xsim.model import Post, snowflake
from roost.xsim.pagination import PageToken
from roost.xsim.params import EXCLUDE_REPLIES, EXCLUDE_RETWEETS, Query

CAP = 3200
CAP_WITHOUT_REPLIES = 800


class History(Protocol):
    """The part of the World a timeline needs."""

    def post(self, user_id: int, index: int) -> Post: ...

    def count_below_id(self, user_id: int, post_id: int) -> int: ...


@dataclass(slots=True)
class Page:
    posts: list[Post]  # newest first
    next_token: PageToken | None
    previous_token: PageToken | None


def visible(post: Post, exclude: int, hidden: AbstractSet[int] = frozenset()) -> bool:
    if hidden and post.id in hidden:
        return False
    if exclude & EXCLUDE_RETWEETS and post.kind == "retweet":
        return False
    return not (exclude & EXCLUDE_REPLIES and post.kind == "reply")


def select(world: History, user_id: int, count: int, query: Query) -> tuple[int, int]:
    """[lo, hi) for a first page: the reachable window narrowed by ids (which win) or times."""
    cap = CAP_WITHOUT_REPLIES if query.exclude & EXCLUDE_REPLIES else CAP
    lo, hi = max(0, count - cap), count
    if query.since_id is not None or query.until_id is not None:
        if query.since_id is not None:  # posts with id > since_id
            lo = max(lo, world.count_below_id(user_id, query.since_id + 1))
        if query.until_id is not None:  # posts with id < until_id
            hi = min(hi, world.count_below_id(user_id, query.until_id))
    else:
        # A snowflake with zero low bits is the smallest id of its millisecond, so counting ids below it counts
        # the posts created before that instant.
        if query.start_time is not None:
            lo = max(lo, world.count_below_id(user_id, snowflake(query.start_time * 1000, 0)))
        if query.end_time is not None:  # the whole end second is included
            hi = min(hi, world.count_below_id(user_id, snowflake((query.end_time + 1) * 1000, 0)))
    return lo, max(lo, hi)


def page(
    world: History, token: PageToken, count: int, max_results: int, hidden: AbstractSet[int] = frozenset()
) -> Page:
    """The posts `token` leads to, newest first, with the tokens of the neighbouring pages."""
    user_id, exclude = token.user_id, token.exclude
    lo, hi = token.lo, min(token.hi, count)  # a clock set back (a restarted demo) cannot reach beyond now
    picked: list[Post] = []
    if not token.newer:
        index = min(token.cursor, hi) - 1
        while index >= lo and len(picked) <= max_results:
            post = world.post(user_id, index)
            if visible(post, exclude, hidden):
                picked.append(post)
            index -= 1
        more_older = len(picked) > max_results
        del picked[max_results:]
        more_newer = bool(picked) and _any_visible(world, user_id, picked[0].index + 1, hi, exclude, hidden)
    else:
        index = max(token.cursor + 1, lo)
        while index < hi and len(picked) <= max_results:
            post = world.post(user_id, index)
            if visible(post, exclude, hidden):
                picked.append(post)
            index += 1
        more_newer = len(picked) > max_results
        del picked[max_results:]
        picked.reverse()
        more_older = bool(picked) and _any_visible(world, user_id, lo, picked[-1].index, exclude, hidden)
    next_token = previous_token = None
    if picked and more_older:
        next_token = PageToken(user_id, token.lo, token.hi, picked[-1].index, False, exclude)
    if picked and more_newer:
        previous_token = PageToken(user_id, token.lo, token.hi, picked[0].index, True, exclude)
    return Page(picked, next_token, previous_token)


def _any_visible(
    world: History, user_id: int, start: int, stop: int, exclude: int, hidden: AbstractSet[int] = frozenset()
) -> bool:
    """Whether [start, stop) holds a post the filter lets through; O(1) without a filter."""
    if start >= stop:
        return False
    if not exclude and not hidden:
        return True
    return any(visible(world.post(user_id, index), exclude, hidden) for index in range(start, stop))


def first_token(user_id: int, lo: int, hi: int, exclude: int) -> PageToken:
    """The position of a request without pagination_token: just above the newest selected post."""
    return PageToken(user_id, lo, hi, hi, False, exclude)
