"""`roost backfill ALIAS`: re-read a followed account's reachable history now, with a progress callback.

The collector backfills new trackers by itself in its next timeline pass; this is for an operator who wants it at
once, or wants a full re-read (which also marks posts that vanished from the timeline as deleted).
"""

from __future__ import annotations

from collections.abc import Callable

from roost.collector.timeline import TimelineRead, backfill
from roost.config import Settings
from roost.core.clock import SystemClock
from roost.services.upstream import xclient_for
from roost.store import tweets as tweet_store
from roost.store.db import create_engine
from roost.store.migrate import upgrade


class BackfillError(Exception):
    """Something the operator can fix (an alias no tracker follows, an account X will not show)."""


async def backfill_alias(
    settings: Settings, *, alias: str, depth: int, on_page: Callable[[int], None] | None = None
) -> tuple[int, TimelineRead]:
    """Backfill the followed account called `alias`; returns its X user id and what the read did."""
    clock = SystemClock()
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            user_id = await tweet_store.user_id_by_name(conn, username=alias)
        if user_id is None:
            raise BackfillError(f"No tracker follows @{alias.lstrip('@')}; create one first.")
        async with xclient_for(settings, clock) as xclient:
            read = await backfill(engine, xclient, clock, user_id=user_id, depth=depth, on_page=on_page)
        if read.problems:
            raise BackfillError(f"X will not show @{alias.lstrip('@')}'s posts: {read.problems[0].detail}")
        return user_id, read
    finally:
        await engine.dispose()
