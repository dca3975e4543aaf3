"""The bodies of the X endpoints: validated query + instant -> X v2 JSON (as a dict).

Lookups answer HTTP 200 with `errors` items for ids and names that do not resolve (a body may hold only errors);
the timeline answers a suspended, unknown or protected author with an errors-only body. `data` is omitted when
empty, `includes` holds the expansions' users and posts, each once, authors first.

Every handler writes on the request's `Receipt` the users and posts its answer returns (in `data` and in
`includes`), the resources X bills; posts are pre-serialised fragments, so the ids cannot be read back later.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson

from roost.xsim import errors as problems
from roost.xsim import timeline
from roost.xsim.billing import Receipt
from roost.xsim.errors import InvalidRequest, Json, param_error
from roost.xsim.model import Post, UserState, snowflake
from roost.xsim.pagination import TokenCodec
from roost.xsim.params import Query
from roost.xsim.render import PRIVATE_METRICS, PostRenderer, render_user
from roost.xsim.world import World

_PRIVATE = frozenset(PRIVATE_METRICS)


class Handlers:
    def __init__(self, world: World, codec: TokenCodec) -> None:
        self.world = world
        self.codec = codec
        self.render_post = PostRenderer(world.metrics)
        self._by_id: dict[int, Post] = {}
        self.deleted: dict[int, set[int]] = {}  # author id -> ids of posts deleted through the admin API

    def delete_post(self, post_id: int, t: float) -> bool:
        """Delete a post as its author would: gone from the timeline and the lookup, one less in tweet_count."""
        post = self.post_by_id(post_id, t)
        if post is None:
            return False
        self.deleted.setdefault(post.author_id, set()).add(post_id)
        return True

    def _deleted_before(self, user_id: int, t: float) -> int:
        ids = self.deleted.get(user_id)
        if not ids:
            return 0
        limit = snowflake((int(t * 1000) + 1), 0)
        return sum(1 for post_id in ids if post_id < limit)

    def post_by_id(self, post_id: int, t: float) -> Post | None:
        """World.post_by_id with a bounded cache: a post never changes once it exists."""
        post = self._by_id.get(post_id)
        if post is None:
            post = self.world.post_by_id(post_id, t)
            if post is None:
                return None
            if len(self._by_id) >= 200_000:
                self._by_id.clear()
            self._by_id[post_id] = post
        return post if post.created_at_ms <= t * 1000 else None

    # ---- helpers -------------------------------------------------------------------------------

    def user_json(self, user: UserState, fields: frozenset[str], t: float | None = None) -> Json:
        def newest() -> int | None:
            return self.world.post(user.id, user.tweet_count - 1).id if user.tweet_count else None

        if t is not None and user.id in self.deleted:
            user = replace(user, tweet_count=user.tweet_count - self._deleted_before(user.id, t))
        return render_user(user, fields, newest)

    @staticmethod
    def _body(data: Any, errors: list[Json], includes: Json | None = None, meta: Json | None = None) -> Json:
        body: Json = {}
        if data:
            body["data"] = data
        if includes:
            body["includes"] = includes
        if errors:
            body["errors"] = errors
        if meta is not None:
            body["meta"] = meta
        return body

    def _private_metric_errors(self, query: Query, posts: list[Post], parameter: str) -> list[Json]:
        """App-only tokens may not read private metrics: X answers with these items instead of the data."""
        asked = sorted(query.tweet_fields & _PRIVATE)
        return [
            problems.field_not_authorized(str(post.id), f"{group}.{metric}", parameter)
            for post in posts
            for group in asked
            for metric in PRIVATE_METRICS[group]
        ]

    # ---- users ---------------------------------------------------------------------------------

    def _lookup(
        self, query: Query, t: float, receipt: Receipt, by_name: bool, parameter: str
    ) -> tuple[list[Json], list[Json], Json]:
        data: list[Json] = []
        errors: list[Json] = []
        extra = _Includes(self, query, t, receipt)
        seen: set[str] = set()
        for value in query.usernames if by_name else query.ids:
            folded = value.lower()
            if folded in seen:
                continue
            seen.add(folded)
            user = self.world.user_by_username(value, t) if by_name else self.world.user(int(value), t)
            if user is None:
                errors.append(problems.user_not_found(value, parameter))
            elif user.status == "suspended":
                errors.append(problems.user_suspended(value, parameter))
            else:
                data.append(self.user_json(user, query.user_fields, t))
                receipt.users.add(user.id)
                if "pinned_tweet_id" in query.expansions and user.pinned_tweet_id is not None:
                    extra.post_by_id(user.pinned_tweet_id)
                if "most_recent_tweet_id" in query.expansions and user.tweet_count:
                    extra.post(self.world.post(user.id, user.tweet_count - 1))
        return data, errors, extra.result()

    def users(self, query: Query, t: float, receipt: Receipt) -> Json:
        data, errors, includes = self._lookup(query, t, receipt, False, "ids")
        return self._body(data, errors, includes)

    def users_by(self, query: Query, t: float, receipt: Receipt) -> Json:
        data, errors, includes = self._lookup(query, t, receipt, True, "usernames")
        return self._body(data, errors, includes)

    def user(self, query: Query, t: float, receipt: Receipt) -> Json:
        data, errors, includes = self._lookup(query, t, receipt, False, "id")
        return self._body(data[0] if data else None, errors, includes)

    def user_by_username(self, query: Query, t: float, receipt: Receipt) -> Json:
        data, errors, includes = self._lookup(query, t, receipt, True, "username")
        return self._body(data[0] if data else None, errors, includes)

    # ---- posts ---------------------------------------------------------------------------------

    def timeline(self, query: Query, t: float, receipt: Receipt) -> Json:
        value = query.ids[0]
        user_id = int(value)
        author = self.world.user(user_id, t)
        if author is None:
            return {"errors": [problems.user_not_found(value, "id")]}
        if author.status == "suspended":
            return {"errors": [problems.user_suspended(value, "id")]}
        if author.status == "protected":
            return {"errors": [problems.user_not_authorized(value)]}
        count = author.tweet_count
        token = query.token
        if token is None:
            lo, hi = timeline.select(self.world, user_id, count, query)
            token = timeline.first_token(user_id, lo, hi, query.exclude)
        elif token.user_id != user_id:
            message = f"The `pagination_token` query parameter value [{query.token_text}] is not valid"
            raise InvalidRequest([param_error("pagination_token", [query.token_text], message)])
        page = timeline.page(self.world, token, count, query.max_results, self.deleted.get(user_id, frozenset()))
        if not page.posts:
            return {"meta": {"result_count": 0}}
        if query.tweet_fields & _PRIVATE:
            return {"errors": self._private_metric_errors(query, page.posts, "id")}
        fields = query.tweet_fields
        data = [self.render_post(post, fields, t) for post in page.posts]
        receipt.posts.update(post.id for post in page.posts)
        extra = _Includes(self, query, t, receipt)
        if "author_id" in query.expansions:
            extra.user(author)
        for post in page.posts:
            extra.expand(post)
        meta: Json = {
            "result_count": len(data),
            "newest_id": str(page.posts[0].id),
            "oldest_id": str(page.posts[-1].id),
        }
        if page.next_token is not None:
            meta["next_token"] = self.codec.encode(page.next_token)
        if page.previous_token is not None:
            meta["previous_token"] = self.codec.encode(page.previous_token)
        return self._body(data, [], extra.result(), meta)

    def tweets(self, query: Query, t: float, receipt: Receipt) -> Json:
        errors: list[Json] = []
        found: list[Post] = []
        seen: set[int] = set()
        for value in query.ids:
            post_id = int(value)
            if post_id in seen:
                continue
            seen.add(post_id)
            post = self.world.post_by_id(post_id, t)
            if post is not None and post_id in self.deleted.get(post.author_id, ()):
                post = None
            author = self.world.user(post.author_id, t) if post is not None else None
            if post is None or author is None or author.status == "suspended":
                errors.append(problems.tweet_not_found(value, "ids"))
            elif author.status == "protected":
                errors.append(problems.tweet_not_authorized(value, "ids"))
            else:
                found.append(post)
        if query.tweet_fields & _PRIVATE:
            return {"errors": self._private_metric_errors(query, found, "ids")}
        data = [self.render_post(post, query.tweet_fields, t) for post in found]
        receipt.posts.update(post.id for post in found)
        extra = _Includes(self, query, t, receipt)
        for post in found:
            if "author_id" in query.expansions:
                extra.user_id(post.author_id)
            extra.expand(post)
        return self._body(data, errors, extra.result())


class _Includes:
    """The `includes` object: expansions' users and posts, each once, in order of first mention."""

    def __init__(self, handlers: Handlers, query: Query, t: float, receipt: Receipt) -> None:
        self.h = handlers
        self.receipt = receipt
        self.world = handlers.world
        self.query = query
        self.t = t
        self.expansions = query.expansions
        self.users: dict[int, Json | None] = {}
        self.posts: dict[int, orjson.Fragment] = {}

    def user(self, state: UserState) -> None:
        if state.id not in self.users:
            self.users[state.id] = self.h.user_json(state, self.query.user_fields, self.t)
            self.receipt.users.add(state.id)

    def user_id(self, user_id: int) -> None:
        if user_id in self.users:
            return
        state = self.world.user(user_id, self.t)
        visible = state is not None and state.status != "suspended"
        self.users[user_id] = self.h.user_json(state, self.query.user_fields, self.t) if visible and state else None
        if visible:
            self.receipt.users.add(user_id)

    def post(self, post: Post) -> None:
        if post.id not in self.posts:
            self.posts[post.id] = self.h.render_post(post, self.query.tweet_fields, self.t)
            self.receipt.posts.add(post.id)

    def post_by_id(self, post_id: int) -> Post | None:
        post = self.h.post_by_id(post_id, self.t)
        if post is not None:
            self.post(post)
        return post

    def expand(self, post: Post) -> None:
        """The per-post expansions of the timeline and the post lookup."""
        expansions = self.expansions
        if not expansions:
            return
        if "referenced_tweets.id" in expansions or "referenced_tweets.id.author_id" in expansions:
            for _kind, ref_id in post.references:
                referenced = self.h.post_by_id(ref_id, self.t)
                if referenced is None:
                    continue
                if "referenced_tweets.id" in expansions:
                    self.post(referenced)
                if "referenced_tweets.id.author_id" in expansions:
                    self.user_id(referenced.author_id)
        if "in_reply_to_user_id" in expansions and post.in_reply_to_user_id is not None:
            self.user_id(post.in_reply_to_user_id)
        if "entities.mentions.username" in expansions:
            for entity in post.entities:
                if entity.kind != "mention":
                    continue
                if entity.mention_id is not None:
                    self.user_id(entity.mention_id)
                else:
                    state = self.world.user_by_username(entity.value, self.t)
                    if state is not None and state.status != "suspended":
                        self.user(state)

    def result(self) -> Json:
        out: Json = {}
        users = [u for u in self.users.values() if u is not None]
        if users:
            out["users"] = users
        if self.posts:
            out["tweets"] = list(self.posts.values())
        return out
