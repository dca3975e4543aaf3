"""Finding and listing an account's trackers: one by id (never confirming a foreign one exists), a page of the list
with Tweet Binder's grammar, the tracker a CLI reference names, and the list with its recent growth (the dashboard's
rows, `roost trackers`). Creating and stopping them is services.trackers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Unpack

from roost.core import analytics, domain
from roost.core.listquery import Filter, ListQuery, QueryError
from roost.core.listquery import parse as parse_list_query
from roost.services.errors import Invalid, NotFound, found
from roost.services.runtime import Runtime
from roost.store import snapshots as snapshot_store
from roost.store import tracker_list
from roost.store import trackers as tracker_store
from roost.store.accounts import Account
from roost.store.tracker_list import ListOptions
from roost.store.trackers import Tracker, TrackerStatus, TrackerView


async def get(rt: Runtime, account: Account, tracker_id: str) -> Tracker:
    """The account's tracker; NotFound for unknown and foreign ids alike (never confirm one exists)."""
    async with rt.engine.connect() as conn:
        return found(await tracker_store.get_owned_tracker(conn, account_id=account.id, tracker_id=tracker_id))


async def owned(rt: Runtime, account: Account, ids: Sequence[str]) -> list[Tracker]:
    """The account's trackers among `ids`, in the order asked; NotFound if any is unknown or foreign."""
    async with rt.engine.connect() as conn:
        found = {t.id: t for t in await tracker_store.get_owned_trackers(conn, account_id=account.id, ids=ids)}
    if any(i not in found for i in ids):
        raise NotFound("tracker")
    return [found[i] for i in ids]


async def page(rt: Runtime, account: Account, **options: Unpack[ListOptions]) -> tuple[list[TrackerView], int]:
    """A page of the account's trackers, newest first unless a `query` orders them, and how many match in all."""
    async with rt.engine.connect() as conn:
        return await tracker_list.list_trackers(conn, account_id=account.id, interval=rt.interval, **options)


def list_query(pairs: Sequence[tuple[str, str]], *, ignore: Sequence[str] = ("offset", "limit")) -> ListQuery:
    """Tweet Binder's list grammar over the tracker fields (tracker_list.TRACKER_FIELDS), or Invalid naming the
    parameter (an unknown field or operator, a value of the wrong type)."""
    try:
        return parse_list_query(pairs, tracker_list.TRACKER_FIELDS, ignore=ignore)
    except QueryError as exc:
        raise Invalid(exc.field, exc.message) from None


async def views(rt: Runtime, account: Account, ids: Sequence[str]) -> list[TrackerView]:
    """The account's trackers among `ids` as the list shows them (unknown and foreign ids left out)."""
    if not ids:
        return []
    query = ListQuery(filters=(Filter("_id", "in", tuple(dict.fromkeys(ids))),))
    found, _ = await page(rt, account, query=query, limit=len(ids))
    return found


async def view(rt: Runtime, account: Account, tracker: Tracker) -> TrackerView | None:
    """The tracker with its X user's current name, state, profile and newest snapshot (as the list shows it)."""
    found = await views(rt, account, [tracker.id])
    return found[0] if found else None


async def every(rt: Runtime, account: Account, *, status: TrackerStatus | None = None) -> list[TrackerView]:
    """Every tracker of the account, newest first, with its current name, state and newest snapshot."""
    views: list[TrackerView] = []
    while True:
        found, total = await page(rt, account, status=status, offset=len(views), limit=1000)
        views.extend(found)
        if not found or len(views) >= total:
            return views


def find(views: Sequence[TrackerView], ref: str, *, active_only: bool = False) -> TrackerView | None:
    """The tracker that `ref` names: its id, or an alias (as asked, or the account's current screen name,
    case-insensitive, '@' optional). An alias tracked several times means the active tracker, else the newest.

    Raises Invalid when `ref` can be neither an id nor a screen name."""
    ref = ref.strip()
    for view in views:
        if view.tracker.id == ref:
            return view if view.tracker.status == "active" or not active_only else None
    try:
        alias = domain.normalize_alias(ref).lower()
    except domain.AliasError:
        raise Invalid("tracker", f"'{ref}' is neither a tracker id nor an X screen name") from None
    named = [v for v in views if alias in (v.tracker.alias.lower(), v.username.lower())]
    active = [v for v in named if v.tracker.status == "active"]
    if active or active_only:
        return active[0] if active else None
    return named[0] if named else None


async def by_ref(rt: Runtime, account: Account, ref: str) -> TrackerView:
    """The tracker `ref` names (see `find`), or NotFound with a message that says how to find the right one."""
    found = find(await every(rt, account), ref)
    if found is None:
        raise NotFound("tracker", message=f"{account.email} has no tracker called {ref.strip()} (see `roost trackers`)")
    return found


# --- the list with recent growth (dashboard rows, `roost trackers`) ---------------------------------------------

DELTA_HISTORY = 30 * analytics.DAY + analytics.LOOKBACK  # the 30-day window and the lookback before it


async def series(rt: Runtime, tracker: Tracker, *, start: int, end: int) -> list[domain.Snapshot]:
    """Every snapshot of the tracker's X user in [start, end] inside the tracker's life, oldest first."""
    lo, hi = tracker.life(rt.interval)
    async with rt.engine.connect() as conn:
        return await snapshot_store.stats_range(conn, x_user_id=tracker.x_user_id, start=start, end=end, lo=lo, hi=hi)


@dataclass(frozen=True)
class Summary:
    """A tracker with its change over the last 24h / 7d / 30d up to now (or its stop), by the one change rule."""

    view: TrackerView
    end: int  # when it stopped, or now
    deltas: list[analytics.Delta]
    recent: list[domain.Snapshot]  # the last DELTA_HISTORY of snapshots (sparklines)
    glitches: list[analytics.Glitch]


async def summarize(rt: Runtime, view: TrackerView) -> Summary:
    end, recent, found = await recent_deltas(rt, view.tracker)
    return Summary(view=view, end=end, deltas=found, recent=recent, glitches=analytics.flag_glitches(recent))


async def recent_deltas(rt: Runtime, tracker: Tracker) -> tuple[int, list[domain.Snapshot], list[analytics.Delta]]:
    """The tracker's end (its stop, or now), its last DELTA_HISTORY of snapshots and its changes over the last
    24h / 7d / 30d up to that end: what the list, `roost trackers` and the tracker page's windows all show."""
    end = tracker.stopped_at or rt.now()
    recent = await series(rt, tracker, start=end - DELTA_HISTORY, end=end)
    return end, recent, analytics.deltas(recent, end=end)


async def summaries(rt: Runtime, account: Account, *, status: TrackerStatus | None = None) -> list[Summary]:
    """Every tracker of the account, newest first, with its recent deltas."""
    return [await summarize(rt, view) for view in await every(rt, account, status=status)]
