"""The timeline pass: after each snapshot pass, archive what the tracked accounts posted, and refresh the metrics
of young posts.

Only accounts whose `tweet_count` rose since their timeline was last read are claimed (a quiet account costs no
request). An account never read gets a backfill of its reachable history (`backfill_depth`, X's 3200 at most);
the others are read from `since_id` = the newest archived post. Pages of 100 follow `next_token` to the end or the
3200 cap. The cursor moves only after a complete read, so an interrupted read is simply done again (posts upsert
on their id: none doubled).

Metrics of posts younger than a week are refreshed through `GET /2/tweets?ids=` (100 a request) once they are
six hours old. A post the lookup no longer finds while its author is readable, or that a full walk of the
timeline no longer shows, is marked deleted, never erased.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from roost.clock import Clock
from roost.collector.snapshots import PROBLEM_STATES
from roost.store import tweets as tweet_store
from roost.store import xusers as xuser_store
from roost.store.db import write_transaction
from roost.xapi import XApiError, XApiRateLimited, XClient
from roost.xapi.models import LookupProblem
from roost.xapi.posts import PAGE_MAX, TIMELINE_CAP, XPost

log = logging.getLogger("roost.collector")

HOUR = 3600
DAY = 86400
REFRESH_MAX_AGE = 7 * DAY
REFRESH_EVERY = 6 * HOUR
CLAIM_BATCH = 10
PageHook = Callable[[int], Awaitable[None] | None]


@dataclass
class TimelineReport:
    users: int = 0
    backfills: int = 0
    requests: int = 0
    posts: int = 0
    refresh_requests: int = 0
    refreshed: int = 0
    deleted: int = 0
    failed: int = 0


@dataclass
class TimelineRead:
    newest_id: int | None = None
    count: int | None = None  # the author's tweet_count as the first page saw it
    posts: int = 0
    requests: int = 0
    problems: list[LookupProblem] = field(default_factory=list)


async def read_timeline(
    engine: AsyncEngine,
    xclient: XClient,
    *,
    user_id: int,
    since_id: int | None,
    depth: int,
    now: Callable[[], float],
    on_page: PageHook | None = None,
) -> TimelineRead:
    """Walk a timeline newest first and archive every page as it comes. With no `since_id` (a backfill or a full
    re-read) archived posts inside the walked span that X no longer shows are marked deleted."""
    read = TimelineRead()
    token: str | None = None
    seen: list[XPost] = []
    depth = max(1, min(depth, TIMELINE_CAP))
    saving: asyncio.Task[None] | None = None  # a page is written while the next one is fetched

    async def save(posts: list[XPost], previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await previous  # writes stay in page order
        async with write_transaction(engine) as conn:
            await tweet_store.save_posts(conn, posts=posts, now=int(now()))
        if on_page is not None:
            result = on_page(len(posts))
            if result is not None:
                await result

    try:
        while True:
            page = await xclient.user_timeline_page(
                user_id, since_id=since_id, pagination_token=token, max_results=min(PAGE_MAX, depth - len(seen))
            )
            read.requests += 1
            if page.problems and not page.posts:
                read.problems = page.problems
                break
            if read.count is None:
                read.count = page.author_tweet_count
            posts = page.posts[: depth - len(seen)]
            seen.extend(posts)
            saving = asyncio.ensure_future(save(posts, saving))
            if page.next_token is None or len(seen) >= depth:
                break
            token = page.next_token
    finally:
        if saving is not None:
            await saving  # a failed fetch still lets the pages already read reach the database
    if read.problems:
        return read
    read.posts = len(seen)
    if seen:
        read.newest_id = max(p.id for p in seen)
    if since_id is None and seen:
        ids = {p.id for p in seen}
        async with write_transaction(engine) as conn:
            archived = await tweet_store.archived_ids(conn, author_id=user_id, lo_id=min(ids), hi_id=max(ids))
            await tweet_store.mark_deleted(conn, ids=sorted(archived - ids), now=int(now()))
    return read


@dataclass
class TimelinePass:
    engine: AsyncEngine
    xclient: XClient
    clock: Clock
    worker_id: str
    deadline: float  # the end of the bucket: the next snapshot pass must not wait for this one
    backfill_depth: int = TIMELINE_CAP
    lease_seconds: int = 600
    concurrency: int = 4

    async def run(self) -> TimelineReport:
        report = TimelineReport()
        async with write_transaction(self.engine) as conn:
            await tweet_store.lower_seen_counts(conn)
        self.xclient.max_wait = max(0.0, self.deadline - self.clock.now())
        await asyncio.gather(*(self._worker(report) for _ in range(self.concurrency)))
        await self._refresh(report)
        return report

    def _open(self) -> bool:
        return self.clock.now() < self.deadline

    async def _worker(self, report: TimelineReport) -> None:
        while self._open():
            async with write_transaction(self.engine) as conn:
                due = await tweet_store.claim_timeline_users(
                    conn,
                    now=int(self.clock.now()),
                    owner=self.worker_id,
                    lease_seconds=self.lease_seconds,
                    limit=CLAIM_BATCH,
                )
            if not due:
                return
            for index, user in enumerate(due):
                if not self._open() or not await self._read(user, report):
                    async with write_transaction(self.engine) as conn:
                        await tweet_store.release_timeline(
                            conn, x_user_ids=[u.id for u in due[index:]], owner=self.worker_id
                        )
                    return

    async def _read(self, user: tweet_store.TimelineDue, report: TimelineReport) -> bool:
        """Read one user's new posts; False when the pass should stop (the rate limit outlasts the bucket)."""
        backfill = user.newest_post_id is None and user.tweet_count_seen is None
        report.users += 1
        report.backfills += backfill
        try:
            read = await read_timeline(
                self.engine,
                self.xclient,
                user_id=user.id,
                since_id=user.newest_post_id,
                depth=self.backfill_depth if backfill else TIMELINE_CAP,
                now=self.clock.now,
            )
        except XApiRateLimited:
            return False
        except XApiError as exc:
            report.failed += 1
            log.warning("timeline of %d failed: %s", user.id, exc)
            async with write_transaction(self.engine) as conn:
                await tweet_store.release_timeline(conn, x_user_ids=[user.id], owner=self.worker_id)
            return True
        report.requests += read.requests
        report.posts += read.posts
        now = int(self.clock.now())
        async with write_transaction(self.engine) as conn:
            for problem in read.problems[:1]:
                state, message = PROBLEM_STATES[problem.kind]
                await xuser_store.set_state(conn, x_user_id=user.id, state=state, error=message, now=now)
            if read.problems:
                await tweet_store.release_timeline(conn, x_user_ids=[user.id], owner=self.worker_id)
            else:
                await tweet_store.finish_timeline(
                    conn,
                    x_user_id=user.id,
                    newest_post_id=read.newest_id,
                    tweet_count_seen=read.count if read.count is not None else user.tweet_count,
                    now=now,
                )
        return True

    async def _refresh(self, report: TimelineReport) -> None:
        """Fresh metrics for posts younger than a week, at least every six hours, 100 posts a request."""
        while self._open():
            now = int(self.clock.now())
            async with self.engine.connect() as conn:
                due = await tweet_store.posts_to_refresh(
                    conn, now=now, max_age=REFRESH_MAX_AGE, every=REFRESH_EVERY, limit=PAGE_MAX
                )
            if not due:
                return
            ids = [post_id for post_id, _ in due]
            try:
                lookup = await self.xclient.posts_by_ids(ids)
            except XApiError as exc:
                log.warning("metrics refresh of %d posts failed: %s", len(ids), exc)
                return
            report.refresh_requests += 1
            now = int(self.clock.now())
            gone = [int(p.value) for p in lookup.problems if p.kind == "not_found" and p.value.isdigit()]
            found = {p.id for p in lookup.posts}
            async with write_transaction(self.engine) as conn:
                await tweet_store.update_metrics(conn, posts=lookup.posts, now=now)
                report.deleted += await tweet_store.mark_deleted(conn, ids=gone, now=now)
                # Whatever else X withheld (a protected author) waits for the next round, so the loop moves on.
                await tweet_store.touch_metrics(conn, ids=[i for i in ids if i not in found], now=now)
            report.refreshed += len(lookup.posts)


async def backfill(
    engine: AsyncEngine,
    xclient: XClient,
    clock: Clock,
    *,
    user_id: int,
    depth: int = TIMELINE_CAP,
    on_page: PageHook | None = None,
) -> TimelineRead:
    """Re-read an account's reachable history (`roost backfill`): new posts are archived, known ones refreshed,
    vanished ones marked deleted, and the cursor moves to the newest post."""
    read = await read_timeline(
        engine, xclient, user_id=user_id, since_id=None, depth=depth, now=clock.now, on_page=on_page
    )
    if not read.problems:
        async with engine.connect() as conn:
            row = await xuser_store.get_x_user(conn, x_user_id=user_id)
        seen = row.tweet_count_seen if row is not None else None
        async with write_transaction(engine) as conn:
            await tweet_store.finish_timeline(
                conn,
                x_user_id=user_id,
                newest_post_id=read.newest_id,
                tweet_count_seen=read.count if read.count is not None else (seen or 0),
                now=int(clock.now()),
            )
    return read
