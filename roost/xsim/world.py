"""The emulator's world: accounts, their counts and their posts, computed from (seed, account, time).

Nothing is stored per account: every value is a pure function, cached in bounded LRU caches, so memory grows
with the accounts touched, never with the accounts that exist. The pieces:

- names.py: name <-> id codec, the catalogue, display case, the registry of touched non-catalogue accounts;
- personas.py: an account's character and fate (the shares of never-existing, suspended, protected, deleted and
  renamed accounts are tabled there), cached per (seed, id);
- counts.py: followers/following/listed/likes as O(1) functions of time, calibrated on real accounts' hourly
  series (trend, daily rhythm, follow/unfollow noise, bursts from popular posts, rare upstream glitches);
- posts.py: when an account posts (tweet_count(t) is exact and O(1); finding post k is a short search);
- engagement.py: what a post draws (its eventual metrics, heavy-tailed and scaled by the audience);
- text.py: words, entities and profile texts.

Post ids are snowflakes of their creation ms; the 22 low bits name the author: a catalogue index (top bit 0) or
1 + a 21-bit hash of the author id, resolved through the registry of non-catalogue accounts touched in this
process (bounded; after a restart such a post id resolves again once its author is looked up). Two registry
authors sharing a hash and posting in the same millisecond would make an id ambiguous; the first match wins.
Instants are unix seconds; `instant_ms` is the one conversion to milliseconds everything uses.

Memory (measured, CPython 3.11): a cached account core is about 1.1 KB (shared cache of 65,536: about 70 MB at
most), a cached post about 1 KB (131,072 per World: about 130 MB at most) plus its metric finals (about 0.3 KB),
a profile about 0.5 KB (32,768), a registry entry about 0.3 KB (262,144: about 80 MB at most), a follower burst
about 0.2 KB (65,536 (account, 28-day block) entries in counts.py: about 13 MB at most). All bounded.
Not modelled: suspended, protected and deleted accounts keep "posting" on schedule (their timelines are
refused or gone, so nobody sees it); after a temporary suspension those posts appear.
"""

from __future__ import annotations

import functools
import math
from functools import lru_cache
from typing import Literal

from roost.xsim import counts, engagement, names, personas, text
from roost.xsim.hashing import Draws, mix, mix1
from roost.xsim.model import (
    AccountStatus,
    Entity,
    Post,
    PostKind,
    PostMetrics,
    ReferenceType,
    UserState,
    snowflake,
    snowflake_ms,
)
from roost.xsim.personas import POPULAR, SOURCES, AccountEvents, Core
from roost.xsim.posts import SALT_POST, count_at_ms, is_original, post_ms
from roost.xsim.script import Script
from roost.xsim.text import Builder

__all__ = ["CATALOGUE_SIZE", "AccountEvents", "World", "instant_ms"]

CATALOGUE_SIZE = names.CATALOGUE_SIZE
_LOW_FLAG = 1 << 21
_LOW_MASK = (1 << 22) - 1
_SALT_PROFILE = 0x9F0F
_RT_LIMIT = 140  # retweet text keeps "RT @user: " + the start of the original, cut with an ellipsis
_MENTION_POOL = 1 << 14  # catalogue accounts that get mentioned
ReplySettings = Literal["everyone", "mentionedUsers", "following"]


def instant_ms(t: float) -> int:
    """The millisecond an instant falls in; tolerant of float error, so instant_ms(ms / 1000) == ms."""
    return math.floor(t * 1000.0 + 1e-3)


@lru_cache(maxsize=1 << 16)
def _catalogue_id(seed: int, index: int) -> int:
    return names.encode(names.catalogue_name(seed, index))


@lru_cache(maxsize=_MENTION_POOL)
def _mentionable(seed: int, index: int) -> tuple[str, int] | None:
    """(display-case name, id) of a plain catalogue account, or None if it has a fate."""
    user_id = _catalogue_id(seed, index)
    if not personas.is_plain(seed, user_id):
        return None
    return names.display_case(seed, user_id, names.catalogue_name(seed, index)), user_id


@lru_cache(maxsize=1 << 16)
def _popular_count(seed: int, index: int, hour: int) -> int:
    """Posts a popular catalogue account made before an hour began; -1 if it has a fate (never a target)."""
    user_id = _catalogue_id(seed, index)
    if not personas.is_plain(seed, user_id):
        return -1
    return count_at_ms(personas.core(seed, user_id), hour * 3_600_000 - 1)


class World:
    """A deterministic X: see the module docstring. `seed` picks the world; the same seed, the same world."""

    CATALOGUE_SIZE = CATALOGUE_SIZE

    def __init__(
        self, seed: int = 2024, *, post_cache: int = 1 << 17, profile_cache: int = 1 << 15, registry_size: int = 1 << 18
    ) -> None:
        self.seed = seed
        self.registry = names.Registry(registry_size)
        self._post = lru_cache(maxsize=post_cache)(self._make_post)
        self._finals = lru_cache(maxsize=post_cache)(functools.partial(engagement.finals, seed))
        self._profile = lru_cache(maxsize=profile_cache)(self._make_profile)
        self.script = Script()  # events an operator scripted over the world (script.py)

    # ---- accounts ------------------------------------------------------------------------------------

    def catalogue_id(self, index: int) -> int:
        """The id of the index-th generated account (its name is `<word><index>`)."""
        if not 0 <= index < CATALOGUE_SIZE:
            raise IndexError(index)
        return _catalogue_id(self.seed, index)

    def _core(self, user_id: int) -> Core | None:
        """The account behind an id, or None for ids no name leads to (unknown long-name ids included)."""
        if 0 < user_id <= names.SHORT_MAX or self.registry.name(user_id) is not None:
            return personas.core(self.seed, user_id)
        return None

    def _name(self, c: Core) -> str:
        name = c.name if c.name is not None else self.registry.name(c.id)
        assert name is not None
        return name

    def _touch(self, c: Core, name: str | None = None) -> None:
        """Remember a non-catalogue account so post_by_id can find its posts (and long names their ids)."""
        if c.catalogue >= 0 or self.registry.refresh(c.id):
            return
        name = name or c.name or self.registry.name(c.id)
        if name is not None:  # (a long name already forgotten cannot be remembered without its name)
            self.registry.remember(c.id, name, c.low22 & 0x1FFFFF)

    @staticmethod
    def _alive(c: Core, t: float) -> bool:
        deleted = c.deleted_at
        return c.exists and t >= c.created_at and (deleted is None or t < deleted)

    def events(self, user_id: int) -> AccountEvents | None:
        c = self._core(user_id)
        return None if c is None else c.events()

    def glitches(self, user_id: int, start: float, end: float) -> list[counts.Glitch]:
        """The upstream glitches of an account's counts overlapping [start, end) (see counts.py)."""
        c = self._core(user_id)
        return [] if c is None or not c.exists else counts.glitches(c, start, end)

    def bursts(self, user_id: int, start: float, end: float) -> list[counts.Burst]:
        """The follower bursts (popular posts) of an account in [start, end) (see counts.py)."""
        c = self._core(user_id)
        return [] if c is None or not c.exists else counts.bursts(c, start, end)

    def user(self, user_id: int, t: float) -> UserState | None:
        c = self._core(user_id)
        if c is None or not self._alive(c, t) or self.script.deleted(user_id, t):
            return None
        self._touch(c)
        return self._state(c, t)

    def user_by_username(self, username: str, t: float) -> UserState | None:
        if not names.valid(username):
            return None
        name = username.lower()
        scripted = self.script.renamed_to(name, t)
        if scripted is not None:
            return self.user(scripted, t)
        old = names.rename_source(name)
        if old is not None:  # the new name of a renamed account?
            oc = personas.core(self.seed, names.encode(old))
            rename = oc.rename
            if rename is not None and rename[2] == name:
                if t < rename[0] or not self._alive(oc, t):
                    return None
                self._touch(oc, old)
                return self._state(oc, t)
        c = personas.core(self.seed, names.name_id(name))
        if c.rename is not None and t >= c.rename[0]:
            return None  # the old name stops resolving at the rename
        if not c.exists or self.script.renamed_away(c.id, t) or self.script.deleted(c.id, t):
            return None
        self._touch(c, name)
        return self._state(c, t) if self._alive(c, t) else None

    def _state(self, c: Core, t: float) -> UserState:
        name = self._name(c)
        username = c.rename[2] if c.rename is not None and t >= c.rename[0] else name
        if any(start <= t < end for start, end in c.suspensions):
            status: AccountStatus = "suspended"
        elif c.protected_from is not None and t >= c.protected_from:
            status = "protected"
        else:
            status = "active"
        display, description, location, url, image, verified = self._profile(c.id, name)
        n = count_at_ms(c, instant_ms(t))
        pinned = snowflake(post_ms(c, (n - 1) // 50 * 50), c.low22) if c.pins and n else None
        state = UserState(
            id=c.id,
            username=names.apply_case(c.case, username),
            name=display,
            created_at=c.created_at,
            description=description,
            location=location,
            url=url,
            profile_image_url=image,
            verified=verified,
            status=status,
            pinned_tweet_id=pinned,
            followers_count=counts.followers(c, t),
            following_count=counts.following(c, t),
            tweet_count=n,
            listed_count=counts.listed(c, t),
            like_count=counts.likes(c, t),
        )
        return self.script.apply(state, t) if self.script.touches(c.id) else state

    def _make_profile(self, user_id: int, name: str) -> tuple[str, str, str, str, str, bool]:
        c = personas.core(self.seed, user_id)
        d = Draws(mix(self.seed, _SALT_PROFILE, user_id))
        word = name.rstrip("0123456789") if c.catalogue >= 0 else None
        display = text.display_name(d, name, word)
        description = text.description(d)
        location = text.location(d)
        url = text.tco(d) if d.below(2) else ""
        number = 10**18 + d.bits() % (9 * 10**18)
        image = f"https://pbs.twimg.com/profile_images/{number}/{text.short_code(d, 8)}_normal.jpg"
        verified = d.unit() < (0.3 if c.followers_base > 100_000 else 0.02)
        return display, description, location, url, image, verified

    def username_at(self, c: Core, ms: int) -> str:
        """The screen name (display case) an account had at a millisecond."""
        name = self._name(c)
        rename = c.rename
        if rename is not None and ms >= rename[0] * 1000:
            name = rename[2]
        return names.apply_case(c.case, name)

    # ---- posts -------------------------------------------------------------------------------------

    def tweet_count(self, user_id: int, t: float) -> int:
        """The number of the account's posts created at or before t (0 for unknown ids)."""
        c = self._core(user_id)
        if c is None or not c.exists:
            return 0
        if c.catalogue < 0:
            self._touch(c)
        return count_at_ms(c, instant_ms(t))

    def post_id(self, user_id: int, index: int) -> int:
        """The id of the account's post `index` without building the post (cheap: for pagination)."""
        c = self._core(user_id)
        if c is None or not c.exists:
            raise KeyError(user_id)
        return snowflake(post_ms(c, index), c.low22)

    def post(self, user_id: int, index: int) -> Post:
        """The account's post number `index` (0-based, in time order). KeyError for unknown personas."""
        if user_id > names.SHORT_MAX and self.registry.name(user_id) is None:
            raise KeyError(user_id)  # a long name forgotten by the registry (its posts may still be cached)
        p = self._post(user_id, index)
        if p.id & _LOW_FLAG:
            c = personas.core(self.seed, user_id)
            self._touch(c)
        return p

    def count_below_id(self, user_id: int, post_id: int) -> int:
        """How many of the account's posts have an id below `post_id` (ids sort like creation times)."""
        c = self._core(user_id)
        if c is None or not c.exists:
            return 0
        ms = snowflake_ms(post_id)
        below = count_at_ms(c, ms - 1)
        if c.low22 < (post_id & _LOW_MASK) and count_at_ms(c, ms) > below:
            below += 1  # the author's post in that very millisecond has the smaller id
        return below

    def post_by_id(self, post_id: int, t: float) -> Post | None:
        """The post with this id if it exists at t (created by then, author not deleted), else None."""
        if not 0 < post_id < 1 << 63 or snowflake_ms(post_id) > instant_ms(t):
            return None
        p = self._find(post_id)
        if p is None:
            return None
        deleted = personas.core(self.seed, p.author_id).deleted_at
        return p if deleted is None or t < deleted else None

    def _find(self, post_id: int) -> Post | None:
        ms = snowflake_ms(post_id)
        low = post_id & _LOW_MASK
        if low < _LOW_FLAG:
            candidates: tuple[int, ...] = (_catalogue_id(self.seed, low),) if low < CATALOGUE_SIZE else ()
        else:
            candidates = self.registry.candidates(low & 0x1FFFFF)
        for author in candidates:
            c = personas.core(self.seed, author)
            if not c.exists or c.low22 != low:
                continue
            n = count_at_ms(c, ms)
            if n and post_ms(c, n - 1) == ms:
                return self.post(author, n - 1)
        return None

    def _make_post(self, user_id: int, index: int) -> Post:
        c = self._core(user_id)
        if c is None or not c.exists:
            raise KeyError(user_id)
        if index < 0:
            raise IndexError(index)
        ms = post_ms(c, index)
        pid = snowflake(ms, c.low22)
        d = Draws(mix1(c.key ^ SALT_POST, index))
        roll = d.unit()
        lang = c.lang if d.below(10) else "en"
        source = c.source if d.below(100) < 85 else SOURCES[d.below(len(SOURCES))]
        sensitive = d.below(200) == 0
        settings_roll = d.below(100)
        reply_settings: ReplySettings = (
            "everyone" if settings_roll < 92 else "following" if settings_roll < 97 else "mentionedUsers"
        )
        cuts = c.kind_cuts
        kind: PostKind = "original"
        refs: tuple[tuple[ReferenceType, int], ...] = ()
        reply_to: int | None = None
        conversation = pid
        annotations = text.context_annotations(d)
        b = Builder()
        mention = self._mention
        body: str | None = None
        entities: tuple[Entity, ...] = ()
        if roll < cuts[0]:  # reply: continue the own thread, or answer a popular account's earlier post
            prev = self._post(user_id, index - 1) if index > 0 and d.unit() < c.self_reply else None
            if prev is not None and prev.kind != "retweet":
                kind, refs, reply_to, conversation = "reply", (("replied_to", prev.id),), user_id, prev.conversation_id
            else:
                target = self._target(d, ms, user_id)
                if target is not None:
                    who = self.username_at(personas.core(self.seed, target.author_id), ms)
                    b.entity("mention", "@" + who, who, mention_id=target.author_id)
                    kind, refs = "reply", (("replied_to", target.id),)
                    reply_to, conversation = target.author_id, target.conversation_id
        elif roll < cuts[1]:  # retweet: "RT @user: <start of the original>"
            target = self._target(d, ms, user_id)
            if target is not None:
                kind, refs = "retweet", (("retweeted", target.id),)
                body, entities = self._retweet_text(target, ms)
                lang, annotations, sensitive = target.lang, target.context_annotations, target.possibly_sensitive
        elif roll < cuts[2]:  # quote: own words, then the quoted post's URL
            target = self._target(d, ms, user_id)
            if target is not None:
                kind, refs = "quote", (("quoted", target.id),)
                who = self.username_at(personas.core(self.seed, target.author_id), ms)
                text.sentence(b, d, lang, mention, link=False)
                b.url(d, f"https://twitter.com/{who}/status/{target.id}")
        if body is None:
            if kind != "quote":
                text.sentence(b, d, lang, mention)
            body = b.text() + ("" if kind == "quote" else text.emoji(d))
            entities = tuple(b.entities)
        return Post(
            id=pid,
            author_id=user_id,
            index=index,
            created_at_ms=ms,
            kind=kind,
            text=body,
            references=refs,
            in_reply_to_user_id=reply_to,
            conversation_id=conversation,
            lang=lang,
            source=source,
            possibly_sensitive=sensitive,
            reply_settings=reply_settings,
            entities=entities,
            context_annotations=annotations,
        )

    def _mention(self, d: Draws) -> tuple[str, int] | None:
        """A plain catalogue account to mention (display-case name, id), or None."""
        return _mentionable(self.seed, d.below(_MENTION_POOL))

    def _target(self, d: Draws, before_ms: int, author: int) -> Post | None:
        """A recent original post of a plain popular account, made before the hour of `before_ms` began.

        Everyone posting in the same hour picks among the same few recent originals of the 4096 popular
        accounts, as real engagement concentrates on a few posts. Targets are originals (decided by the first
        draw of a post, before it is built), so building a post never builds a chain of earlier ones and a
        retweet never points at a retweet, as on X.
        """
        hour = before_ms // 3_600_000
        for _ in range(3):
            index = d.below(POPULAR)
            n = _popular_count(self.seed, index, hour)
            if n <= 0:
                continue
            tc = personas.core(self.seed, _catalogue_id(self.seed, index))
            if tc.id == author:  # replies to oneself are threads, handled apart
                continue
            start = n - 1 - d.below(min(n, 8))
            for j in range(start, max(-1, start - 16), -1):
                if is_original(tc, j):
                    target = self._post(tc.id, j)
                    assert target.kind == "original"
                    return target
        return None

    def _retweet_text(self, target: Post, ms: int) -> tuple[str, tuple[Entity, ...]]:
        who = self.username_at(personas.core(self.seed, target.author_id), ms)
        head = f"RT @{who}: "
        full = head + target.text
        cut = len(full)
        if cut > _RT_LIMIT:
            cut = _RT_LIMIT - 1
            full = full[:cut] + "\u2026"
        shift = len(head)
        kept = [Entity("mention", 3, 4 + len(who), who, mention_id=target.author_id)]
        for e in target.entities:
            if e.end + shift <= cut:
                kept.append(
                    Entity(e.kind, e.start + shift, e.end + shift, e.value, e.expanded_url, e.display_url, e.mention_id)
                )
        return full, tuple(kept)

    # ---- metrics -----------------------------------------------------------------------------------

    def metrics(self, post: Post, t: float) -> PostMetrics:
        """Public metrics at t: final * (1 - exp(-age / tau)), so 0 at creation and never decreasing."""
        age = t - post.created_at_ms / 1000.0
        if age <= 0:
            return PostMetrics(0, 0, 0, 0, 0, 0)
        rt, rp, lk, qt, bm, im, tau = self._finals(post.id, post.author_id, post.kind)
        g = -math.expm1(-age / tau)
        return PostMetrics(int(rt * g), int(rp * g), int(lk * g), int(qt * g), int(bm * g), int(im * g))
