"""The timeline pass: after each snapshot pass, archive what the tracked accounts posted, and refresh the metrics
of young posts.

Only accounts whose `tweet_count` rose since their timeline was last read are claimed (a quiet account costs no
request). An account never read gets a backfill of its reachable history (`backfill_depth`, X's 3200 at most);
the others are read from `since_id` = the newest archived post. Pages of 100 follow `next_token` to the end or the
3200 cap. The cursor moves only after a complete read, so an interrupted read is simply done again (posts upsert
on their id: none doubled).

Metrics are re-read through `GET /2/tweets?ids=` (100 a request) at the ages the refresh schedule names
(`ROOST_REFRESH_SCHEDULE`, roost.core.refresh): X bills each post once per UTC day it is read, so each stage
after the archiving day costs a post read. Only accounts an active tracker archives (`trackers.archive`) are
read at all. A post the lookup no longer finds while its author is readable, or that a full walk of the
timeline no longer shows, is marked deleted, never erased.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roost.collector import alerting
from roost.collector.reading import PageHook, Resume, TimelineRead, read_timeline
from roost.collector.snapshots import PROBLEM_STATES
from roost.collector.spending import SpendingGate, Unit
from roost.core.billing import parse_refresh_schedule
from roost.core.clock import Clock
from roost.store import queue
from roost.store import tweets as tweet_store
from roost.store import xusers as xuser_store
from roost.store.db import transaction
from roost.xapi import XApiError, XApiPaused, XApiRateLimited, XClient
from roost.xapi.metering import billed_as
from roost.xapi.posts import PAGE_MAX, TIMELINE_CAP

log = logging.getLogger("roost.collector")

# `ROOST_REFRESH_SCHEDULE`'s default: one read a post beyond the one that archived it (the 1 h stage almost always
# falls on the archiving day, which X does not charge again), the day's engagement, most of a post's, at 24 h.
DEFAULT_STAGES = parse_refresh_schedule("1h,24h")
CLAIM_BATCH = 10


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
    paused: str | None = None  # why the pass stopped early: X refuses posts ('cap') or everything ('credits')
    budget_cut: bool = False  # the monthly budget held some of this pass's work back


@dataclass
class TimelinePass:
    engine: AsyncEngine
    xclient: XClient
    clock: Clock
    worker_id: str
    deadline: float  # the end of the bucket: the next snapshot pass must not wait for this one
    backfill_depth: int = TIMELINE_CAP
    refresh_stages: tuple[int, ...] = DEFAULT_STAGES  # ages (s) at which metrics are re-read
    lease_seconds: int = 600
    concurrency: int = 4
    # Reads stopped at a deadline, by user: the collector keeps them from pass to pass.
    resumes: dict[int, Resume] = field(default_factory=dict)
    spending: SpendingGate | None = None  # the monthly budget, asked before each read and refresh
    # How long a request may wait for a rate-limit reset: never past the deadline (set when the pass starts).
    max_wait: float = field(default=0.0, init=False)
    # The budget refused a backfill in this pass: later claims leave backfills out (new posts still go on).
    no_backfills: bool = field(default=False, init=False)
    # A claim came back short (nothing else due): the other workers need not ask. Claims take turns.
    drained: bool = field(default=False, init=False)
    lowered: bool = field(default=False, init=False)  # `queue.lower_seen_counts` ran (in the first claim)
    _claiming: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    async def run(self) -> TimelineReport:
        report = TimelineReport()
        self.max_wait = max(0.0, self.deadline - self.clock.now())
        await asyncio.gather(*(self._worker(report) for _ in range(self.concurrency)))
        await self._refresh(report)
        return report

    async def _backfill_cost(self) -> Unit:
        assert self.spending is not None
        pages = -(-min(self.backfill_depth, TIMELINE_CAP) // PAGE_MAX)
        return await self.spending.worst_case(more_users=1, more_posts=pages * PAGE_MAX)

    def _open(self) -> bool:
        return self.clock.now() < self.deadline

    async def _worker(self, report: TimelineReport) -> None:
        while self._open():
            async with self._claiming:
                if self.drained:
                    return
                backfills = True
                if self.spending is not None:
                    new_posts = await self.spending.worst_case(more_posts=PAGE_MAX)
                    if not await self.spending.fits("new_posts", new_posts):
                        report.budget_cut = True
                        return
                    backfills = not self.no_backfills and await self.spending.fits(
                        "backfills", await self._backfill_cost()
                    )
                async with transaction(self.engine) as conn:
                    if not self.lowered:
                        await queue.lower_seen_counts(conn)  # before the first claim, which reads the marks
                        self.lowered = True
                    due = await queue.claim_timeline_users(
                        conn,
                        now=int(self.clock.now()),
                        owner=self.worker_id,
                        lease_seconds=self.lease_seconds,
                        limit=CLAIM_BATCH,
                        backfills=backfills,
                    )
                self.drained = len(due) < CLAIM_BATCH
            if not due:
                return
            for index, user in enumerate(due):
                if not self._open() or not await self._read(user, report):
                    async with transaction(self.engine) as conn:
                        await queue.release_timeline(conn, x_user_ids=[u.id for u in due[index:]], owner=self.worker_id)
                    return

    async def _read(self, user: queue.TimelineDue, report: TimelineReport) -> bool:
        """Read one user's new posts; False when the pass should stop (the rate limit outlasts the bucket)."""
        backfill = user.newest_post_id is None and user.tweet_count_seen is None
        report.users += 1
        report.backfills += backfill

        async def finish(conn: AsyncConnection, read: TimelineRead) -> None:
            await queue.finish_timeline(
                conn,
                x_user_id=user.id,
                newest_post_id=read.newest_id,
                tweet_count_seen=read.count if read.count is not None else user.tweet_count,
                now=int(self.clock.now()),
            )

        resume = self.resumes.pop(user.id, None)
        if resume is not None and resume.since_id != user.newest_post_id:
            resume = None  # another worker moved the cursor since: start from it
        if self.spending is not None:
            # At worst every post up to the depth (a backfill) or the rise in tweet_count, in pages of 100.
            want = self.backfill_depth if backfill else max(1, user.tweet_count - (user.tweet_count_seen or 0))
            left = max(0, want - (len(resume.ids) if resume is not None else 0))
            cost = await self.spending.worst_case(users=[user.id], more_posts=-(-left // PAGE_MAX) * PAGE_MAX)
            if backfill:  # reading an account back commits to archiving it: its month of new posts must fit too
                month = self.spending.archive_month(tweet_count=user.tweet_count, created_at=user.account_created_at)
                cost = Unit(cost.cost + await month, cost.posts)
            if not await self.spending.fits("backfills" if backfill else "new_posts", cost):
                if resume is not None:
                    self.resumes[user.id] = resume
                report.budget_cut = True
                if backfill:  # only this account waits; the claim's new posts (a higher priority) are still read
                    self.no_backfills = True
                    async with transaction(self.engine) as conn:
                        await queue.release_timeline(conn, x_user_ids=[user.id], owner=self.worker_id)
                    return True
                return False
        try:
            with billed_as("backfills" if backfill else "new_posts"):
                read = await read_timeline(
                    self.engine,
                    self.xclient,
                    user_id=user.id,
                    since_id=user.newest_post_id,
                    depth=self.backfill_depth if backfill else TIMELINE_CAP,
                    now=self.clock.now,
                    finish=finish,
                    max_wait=self.max_wait,
                    deadline=self.deadline,
                    resume=resume,
                )
        except (XApiRateLimited, XApiPaused) as exc:
            # The rate limit outlasts the pass, or X refuses this kind of request (a cap, no credits): stop here.
            if resume is not None:
                self.resumes[user.id] = resume
            if isinstance(exc, XApiPaused):
                report.paused = exc.reason
            return False
        except XApiError as exc:
            report.failed += 1
            log.warning("timeline of %d failed: %s", user.id, exc)
            async with transaction(self.engine) as conn:
                await queue.release_timeline(conn, x_user_ids=[user.id], owner=self.worker_id)
            self.drained = False  # due again: a later claim of this pass may try it again
            return True
        report.requests += read.requests
        report.posts += read.posts
        if read.resume is not None:  # stopped at the deadline: the user goes back, its read goes on next pass
            self.resumes[user.id] = read.resume
            async with transaction(self.engine) as conn:
                await queue.release_timeline(conn, x_user_ids=[user.id], owner=self.worker_id)
            return False
        if read.problems:  # a complete read already moved the cursor and ended the lease (`finish`)
            now = int(self.clock.now())
            async with transaction(self.engine) as conn:
                state, message = PROBLEM_STATES[read.problems[0].kind]
                await xuser_store.set_state(conn, x_user_id=user.id, state=state, error=message, now=now)
                await queue.release_timeline(conn, x_user_ids=[user.id], owner=self.worker_id)
        return True

    async def _refresh(self, report: TimelineReport) -> None:
        """Fresh metrics for the posts that reached a stage of the schedule, 100 posts a request."""
        while self._open():
            now = int(self.clock.now())
            async with self.engine.connect() as conn:
                due = await tweet_store.posts_to_refresh(conn, now=now, stages=self.refresh_stages, limit=PAGE_MAX)
            if not due:
                return
            ids = [post_id for post_id, _ in due]
            cut = self.spending is not None and not await self.spending.fits(
                "refreshes", await self.spending.worst_case(posts=ids)
            )
            if cut:
                report.budget_cut = True
                return
            try:
                with billed_as("refreshes"):
                    lookup = await self.xclient.posts_by_ids(ids, max_wait=self.max_wait)
            except XApiError as exc:
                if isinstance(exc, XApiPaused):
                    report.paused = exc.reason
                else:
                    log.warning("metrics refresh of %d posts failed: %s", len(ids), exc)
                return
            report.refresh_requests += 1
            now = int(self.clock.now())
            gone = [int(p.value) for p in lookup.problems if p.kind == "not_found" and p.value.isdigit()]
            found = {p.id for p in lookup.posts}
            async with transaction(self.engine) as conn:
                await tweet_store.update_metrics(conn, posts=lookup.posts, now=now)
                await alerting.on_post_metrics(conn, posts=lookup.posts, now=now)  # engagement rules (issue 22)
                report.deleted += await tweet_store.mark_deleted(conn, ids=gone, now=now)
                # Whatever else X withheld (a protected author) waits for the next round, so the loop moves on.
                await tweet_store.touch_metrics(conn, ids=[i for i in ids if i not in found], now=now)
            report.refreshed += len(lookup.posts)
            if len(due) < PAGE_MAX:
                return  # that was every post due: asking again would find none


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

    async def finish(conn: AsyncConnection, read: TimelineRead) -> None:
        count = read.count
        if count is None:
            row = await xuser_store.get_x_user(conn, x_user_id=user_id)
            count = (row.tweet_count_seen if row is not None else None) or 0
        await queue.finish_timeline(
            conn, x_user_id=user_id, newest_post_id=read.newest_id, tweet_count_seen=count, now=int(clock.now())
        )

    with billed_as("backfills"):
        return await read_timeline(
            engine, xclient, user_id=user_id, since_id=None, depth=depth, now=clock.now, on_page=on_page, finish=finish
        )
