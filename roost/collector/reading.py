"""Reading one account's timeline, newest first, archiving its pages as they come (the timeline pass and
`roost backfill` share it): requests overlap the archive's writes, a read stops at a deadline and resumes later
from the same page, and a complete read moves the cursor in the transaction that writes its last page."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roost.store import tweets as tweet_store
from roost.store.db import transaction
from roost.xapi import XApiRateLimited, XClient
from roost.xapi.models import LookupProblem
from roost.xapi.posts import PAGE_MAX, TIMELINE_CAP, TimelineHead, parse_posts

WRITE_ROWS = 500  # posts a backfill writes per transaction (5 pages)
PageHook = Callable[[int], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class Resume:
    """Where a read stopped early (its deadline came, or the rate limit outlasted it): the next page's token and
    what the pages before it showed, so the read goes on after the snapshot pass instead of starting over."""

    since_id: int | None
    token: str
    ids: tuple[int, ...]
    count: int | None


@dataclass
class TimelineRead:
    newest_id: int | None = None
    count: int | None = None  # the author's tweet_count as the first page saw it
    posts: int = 0
    requests: int = 0
    problems: list[LookupProblem] = field(default_factory=list)
    resume: Resume | None = None  # set when the read stopped before its end (nothing of the cursor moved)


FinishHook = Callable[[AsyncConnection, TimelineRead], Awaitable[None]]


class _PageWriter:
    """Archives a timeline's pages in the background, in page order, while the reader fetches the next ones.

    Each page is parsed into rows as it arrives, off the reader's path to its next request (and while X renders
    the next page). The rows are written `WRITE_ROWS` at a time, in one transaction and one statement: per page
    the fixed cost of a transaction (a dozen hops to SQLite's worker thread) was as large as the rows' own. The
    last transaction also writes what is left and runs the read's closing step (deletion marks, the cursor), so
    a complete read costs no transaction of its own. The database connection is opened while the first request
    is in flight."""

    def __init__(self, engine: AsyncEngine, now: Callable[[], float], on_page: PageHook | None) -> None:
        self.engine = engine
        self.now = now
        self.on_page = on_page
        self.queue: asyncio.Queue[list[dict[str, Any]] | None] = asyncio.Queue()
        self.last: Callable[[AsyncConnection], Awaitable[None]] | None = None
        self.task = asyncio.ensure_future(self._run())

    def put(self, items: list[dict[str, Any]]) -> None:
        if self.task.done():
            self.task.result()  # the writer failed: stop reading and say why
        self.queue.put_nowait(items)

    async def close(self, last: Callable[[AsyncConnection], Awaitable[None]] | None = None) -> None:
        """Write every page put so far; `last` runs in the transaction that writes the last of them."""
        if not self.task.done():
            self.last = last
            self.queue.put_nowait(None)
        await self.task

    async def _run(self) -> None:
        async with self.engine.connect():
            pass  # connect (and, the first time, initialise the dialect) before the first page arrives
        rows: list[tuple[Any, ...]] = []
        pages: list[int] = []  # posts per page not yet written, for `on_page`
        while True:
            items = await self.queue.get()
            if items is not None:
                rows.extend(tweet_store.post_rows(parse_posts(items), int(self.now())))
                pages.append(len(items))
                if len(rows) < WRITE_ROWS:
                    continue
            last = self.last if items is None else None
            if rows or last is not None:
                async with transaction(self.engine) as conn:
                    await tweet_store.save_rows(conn, rows)
                    if last is not None:
                        await last(conn)
            rows = []
            if self.on_page is not None:
                for count in pages:
                    result = self.on_page(count)
                    if result is not None:
                        await result
            pages = []
            if items is None:
                return


async def read_timeline(
    engine: AsyncEngine,
    xclient: XClient,
    *,
    user_id: int,
    since_id: int | None,
    depth: int,
    now: Callable[[], float],
    on_page: PageHook | None = None,
    finish: FinishHook | None = None,
    max_wait: float | None = None,
    deadline: float | None = None,
    resume: Resume | None = None,
) -> TimelineRead:
    """Walk a timeline newest first and archive its pages as they come. With no `since_id` (a backfill or a full
    re-read) archived posts inside the walked span that X no longer shows are marked deleted. After a complete
    read (no problems), `finish` runs in the same transaction as the last page (the caller moves its cursor).

    The request for page N+1 goes out as soon as page N's `next_token` is known, before page N is parsed and
    written (by `_PageWriter`), so X's time to answer overlaps Roost's time to archive. No request is sent that a
    plain loop would not send: the next one only when there is a `next_token` and depth left. `max_wait`: how
    long a request may wait for a rate-limit reset (None: the client's default).

    `deadline` (the next bucket's start) bounds the walk: no page is asked for after it, and a rate-limit wait
    past it stops the walk; either way the read comes back with `resume` set, and a later call given that
    `resume` walks on from the same page, so a long backfill never holds up a snapshot pass nor starts over."""
    read = TimelineRead()
    depth = max(1, min(depth, TIMELINE_CAP))
    ids: list[int] = list(resume.ids) if resume is not None else []
    if resume is not None:
        since_id = resume.since_id
        read.count = resume.count

    def fetch(token: str | None) -> asyncio.Task[TimelineHead]:
        return asyncio.ensure_future(
            xclient.user_timeline_head(
                user_id,
                since_id=since_id,
                pagination_token=token,
                max_results=min(PAGE_MAX, depth - len(ids)),
                max_wait=max_wait,
            )
        )

    async def last(conn: AsyncConnection) -> None:
        if since_id is None and ids:
            seen, lo, hi = set(ids), min(ids), max(ids)
            # Every post seen is archived and live by now: as many live posts in the span as seen means none
            # vanished, and a count is far cheaper than bringing 3200 ids back.
            if await tweet_store.count_archived(conn, author_id=user_id, lo_id=lo, hi_id=hi) > len(seen):
                archived = await tweet_store.archived_ids(conn, author_id=user_id, lo_id=lo, hi_id=hi)
                await tweet_store.mark_deleted(conn, ids=sorted(archived - seen), now=int(now()))
        if finish is not None:
            await finish(conn, read)

    def stop_at(token: str) -> None:
        read.resume = Resume(since_id=since_id, token=token, ids=tuple(ids), count=read.count)

    token: str | None = resume.token if resume is not None else None
    fetching: asyncio.Task[TimelineHead] | None = fetch(token)
    writer = _PageWriter(engine, now, on_page)
    complete = False
    try:
        while fetching is not None:
            try:
                head = await fetching
            except XApiRateLimited:
                if token is None:
                    raise  # nothing read yet: the caller gives the user back
                fetching = None
                stop_at(token)
                break
            fetching = None
            read.requests += 1
            if head.problems and not head.items:
                read.problems = head.problems
                break
            if read.count is None:
                read.count = head.author_tweet_count
            items = head.items[: depth - len(ids)]
            ids.extend(int(item["id"]) for item in items)
            if head.next_token is not None and len(ids) < depth:
                token = head.next_token
                if deadline is not None and now() >= deadline:
                    stop_at(token)
                else:
                    fetching = fetch(token)
            writer.put(items)
        complete = not read.problems and read.resume is None
        read.posts = len(ids) if complete else 0
        read.newest_id = max(ids) if complete and ids else None
    finally:
        if fetching is not None:  # this read failed: the request sent ahead is not wanted
            fetching.cancel()
            await asyncio.gather(fetching, return_exceptions=True)
        # The pages already read reach the database even when a later fetch failed.
        await writer.close(last if complete else None)
    return read
