"""`roost backfill ALIAS`: re-read a followed account's reachable history now, with a progress callback.

The collector backfills new trackers by itself in its next timeline pass; this is for an operator who wants it at
once, or wants a full re-read (which also marks posts that vanished from the timeline as deleted).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from roost.collector.reading import TimelineRead
from roost.collector.spending import spending_gate
from roost.collector.timeline import backfill
from roost.config import Settings
from roost.core.clock import Clock
from roost.services.runtime import Runtime
from roost.store import tweets as tweet_store
from roost.xapi.posts import PAGE_MAX, TIMELINE_CAP


class BackfillError(Exception):
    """Something the operator can fix (an alias no tracker follows, an account X will not show)."""


async def backfill_alias(
    rt: Runtime, *, alias: str, depth: int, on_page: Callable[[int], None] | None = None
) -> tuple[int, TimelineRead]:
    """Backfill the followed account called `alias`; returns its X user id and what the read did."""
    async with rt.engine.connect() as conn:
        user_id = await tweet_store.user_id_by_name(conn, username=alias)
    if user_id is None:
        raise BackfillError(f"No tracker follows @{alias.lstrip('@')}; create one first.")
    if not await _fits(rt.settings, rt.engine, rt.clock, depth):
        raise BackfillError(
            f"A backfill of {depth} posts does not fit the monthly X budget now (see `roost upstream status`)."
        )
    read = await backfill(rt.engine, rt.worker_xclient(), rt.clock, user_id=user_id, depth=depth, on_page=on_page)
    if read.problems:
        raise BackfillError(f"X will not show @{alias.lstrip('@')}'s posts: {read.problems[0].detail}")
    return user_id, read


async def _fits(settings: Settings, engine: AsyncEngine, clock: Clock, depth: int) -> bool:
    """Whether a backfill of `depth` posts (its worst case: every page full, and the author) fits the budget."""
    gate = spending_gate(settings, engine=engine, clock=clock)
    if gate is None:
        return True
    pages = -(-min(depth, TIMELINE_CAP) // PAGE_MAX)
    return await gate.fits("backfills", await gate.worst_case(more_users=1, more_posts=pages * PAGE_MAX))


# --- a new tracker's posts, read back at once in the background of the running app -------------------------------

log = logging.getLogger("roost.services.backfill")
_running: set[asyncio.Task[None]] = set()  # strong references, so the loop does not drop a task half-way


async def backfill_users(rt: Runtime, user_ids: Sequence[int]) -> int:
    """Read back the timelines of `user_ids` (newly tracked accounts) now; the posts archived. A failure is logged
    and left to the collector's next timeline pass, which backfills any account never read."""
    archived = 0
    for user_id in user_ids:
        if not await _fits(rt.settings, rt.engine, rt.clock, rt.settings.backfill_depth):
            log.info("Backfills of new X users wait: the monthly X budget holds them back (the collector retries)")
            break
        try:
            read = await backfill(rt.engine, rt.xclient, rt.clock, user_id=user_id, depth=rt.settings.backfill_depth)
        except Exception as exc:  # a background task must not die silently
            log.warning("Backfill of new X user %s failed (the collector will retry): %s", user_id, exc)
            continue
        archived += read.posts
    return archived


def start_backfills(rt: Runtime, user_ids: Sequence[int]) -> asyncio.Task[None] | None:
    """Start `backfill_users` as a task of the running loop (the server's), so a new tracker's posts appear within
    a minute instead of after the next hourly pass. None when the timeline archive is off or there is nothing to
    read."""
    if not rt.settings.timeline or not user_ids:
        return None

    async def run() -> None:
        await backfill_users(rt, list(user_ids))

    task = asyncio.get_running_loop().create_task(run(), name="roost-new-tracker-backfill")
    _running.add(task)
    task.add_done_callback(_running.discard)
    return task
