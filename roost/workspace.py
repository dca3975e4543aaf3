"""The command line's view of the database: one account acted for, its trackers found by alias or id, and the
two writes a person makes from a terminal (track, stop). The CLI only parses and prints around these.

Like `roost.admin`, it works on the database from the settings directly (no API server needed) and migrates it
first, so it works on a fresh install. Problems a person can fix are `WorkspaceError`, with a one-line message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from roost import domain, tracking
from roost.config import Settings
from roost.store import accounts as account_store
from roost.store import trackers as tracker_store
from roost.store.accounts import Account, SlotBalance
from roost.store.db import create_engine, write_transaction
from roost.store.migrate import upgrade
from roost.store.trackers import TrackerView

MAX_LISTED = 5  # emails named in the "which account?" message


class WorkspaceError(Exception):
    """A problem the person at the terminal can fix; its message is one line."""


@dataclass(frozen=True)
class Workspace:
    settings: Settings
    engine: AsyncEngine
    account: Account

    @property
    def interval(self) -> int:
        return self.settings.snapshot_interval


def select_account(accounts: Sequence[Account], email: str | None) -> Account:
    """The account to act for: the one with `email`, or the only one there is. Otherwise say how to choose."""
    if email:
        wanted = account_store.normalize_email(email)
        for account in accounts:
            if account.email == wanted:
                return account
        raise WorkspaceError(f"no account with email {wanted} (see `roost accounts list`)")
    if not accounts:
        raise WorkspaceError("no accounts yet: create one with `roost accounts create EMAIL --trackers N`")
    if len(accounts) == 1:
        return accounts[0]
    emails = ", ".join(a.email for a in accounts[:MAX_LISTED]) + (", ..." if len(accounts) > MAX_LISTED else "")
    raise WorkspaceError(
        f"{len(accounts)} accounts exist ({emails}): choose one with --account EMAIL or ROOST_ACCOUNT=EMAIL"
    )


@asynccontextmanager
async def open_workspace(settings: Settings, *, email: str | None) -> AsyncIterator[Workspace]:
    """Migrate, connect, and pick the account; the engine is disposed on the way out."""
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            accounts = await account_store.list_accounts(conn)
        yield Workspace(settings, engine, select_account(accounts, email))
    finally:
        await engine.dispose()


async def all_trackers(ws: Workspace) -> list[TrackerView]:
    """Every tracker of the account, newest first, with its current name, state and newest snapshot."""
    views: list[TrackerView] = []
    async with ws.engine.connect() as conn:
        while True:
            page, total = await tracker_store.list_trackers(
                conn, account_id=ws.account.id, interval=ws.interval, offset=len(views), limit=1000
            )
            views.extend(page)
            if not page or len(views) >= total:
                return views


def find_tracker(views: Sequence[TrackerView], ref: str, *, active_only: bool = False) -> TrackerView | None:
    """The tracker that `ref` names: its id, or an alias (as asked, or the account's current screen name,
    case-insensitive, '@' optional). An alias tracked several times means the active tracker, else the newest.

    Raises WorkspaceError when `ref` can be neither an id nor a screen name."""
    ref = ref.strip()
    for view in views:
        if view.tracker.id == ref:
            return view if view.tracker.status == "active" or not active_only else None
    try:
        alias = domain.normalize_alias(ref).lower()
    except domain.AliasError:
        raise WorkspaceError(f"'{ref}' is neither a tracker id nor an X screen name") from None
    named = [v for v in views if alias in (v.tracker.alias.lower(), v.username.lower())]
    active = [v for v in named if v.tracker.status == "active"]
    if active or active_only:
        return active[0] if active else None
    return named[0] if named else None


async def tracker_for(ws: Workspace, ref: str) -> TrackerView:
    """The tracker `ref` names (see `find_tracker`), or a WorkspaceError that says how to find the right one."""
    found = find_tracker(await all_trackers(ws), ref)
    if found is None:
        raise WorkspaceError(f"{ws.account.email} has no tracker called {ref.strip()} (see `roost trackers`)")
    return found


async def balance(ws: Workspace) -> SlotBalance:
    async with ws.engine.connect() as conn:
        found = await account_store.get_balance(conn, account_id=ws.account.id)
    if found is None:
        raise WorkspaceError(f"the account {ws.account.email} no longer exists")
    return found


@dataclass
class Outcome:
    """Per-item results of a track or stop, Tweet Binder's `{"ok", "errors"}` shape, and the balance after."""

    ok: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    balance: SlotBalance | None = None


def _alias_key(raw: str) -> str:
    """How aliases compare: case-insensitive, '@' and surrounding spaces ignored."""
    return raw.strip().removeprefix("@").lower()


async def track(
    ws: Workspace, aliases: Sequence[str], *, now: float, on_batch: Callable[[int], None] | None = None
) -> Outcome:
    """Create trackers for `aliases`, a hundred per upstream lookup (the X API's batch size), each alias
    succeeding or failing on its own. `on_batch(n)` is told after each batch of n aliases (a progress bar).

    If X cannot be reached the batches already done stay done and the error says how many were created."""
    from roost.clock import SystemClock
    from roost.upstream import xclient_for
    from roost.xapi import XApiRateLimited, XApiUnavailable

    outcome = Outcome()
    unique: list[str] = []
    seen: set[str] = set()
    for raw in aliases:
        key = _alias_key(raw)
        if key in seen:
            outcome.errors.append(
                {"alias": raw, "code": "duplicate_in_request", "message": f"'{raw}' appears more than once."}
            )
            continue
        seen.add(key)
        unique.append(raw)
    async with xclient_for(ws.settings, SystemClock()) as xclient:
        for start in range(0, len(unique), tracking.MAX_ALIASES):
            batch = unique[start : start + tracking.MAX_ALIASES]
            try:
                done = await tracking.create_trackers(
                    ws.engine, xclient, account_id=ws.account.id, aliases=batch, now=now, interval=ws.interval
                )
            except (XApiUnavailable, XApiRateLimited) as exc:
                raise WorkspaceError(
                    f"the X API could not be reached ({exc}); {len(outcome.ok)} trackers were created before that"
                ) from None
            outcome.ok.extend(done.ok)
            outcome.errors.extend(done.errors)
            if on_batch is not None:
                on_batch(len(batch))
    order = {_alias_key(raw): k for k, raw in reversed(list(enumerate(aliases)))}
    outcome.ok.sort(key=lambda item: order.get(_alias_key(item["alias"]), len(order)))
    outcome.errors.sort(key=lambda item: order.get(_alias_key(str(item["alias"])), len(order)))
    outcome.balance = await balance(ws)
    return outcome


async def stop(ws: Workspace, refs: Sequence[str], *, now: int) -> Outcome:
    """Stop the trackers that `refs` name (ids or aliases of active trackers); their data stays readable."""
    outcome = Outcome()
    views = await all_trackers(ws)
    wanted: dict[str, tuple[str, TrackerView]] = {}
    for ref in refs:
        try:
            view = find_tracker(views, ref, active_only=True)
        except WorkspaceError as exc:
            outcome.errors.append({"ref": ref, "code": "invalid_ref", "message": str(exc)})
            continue
        if view is None:
            code = "already_stopped" if find_tracker(views, ref) else "not_found"
            outcome.errors.append({"ref": ref, "code": code, "message": tracker_store.STOP_PROBLEMS[code]})
        elif view.tracker.id not in wanted:
            wanted[view.tracker.id] = (ref, view)
    if wanted:
        async with write_transaction(ws.engine) as conn:
            results = await tracker_store.stop_trackers(conn, account_id=ws.account.id, ids=list(wanted), now=now)
        for tracker_id, result in results:
            ref, view = wanted[tracker_id]
            if result == "ok":
                outcome.ok.append({"ref": ref, "resourceId": tracker_id, "alias": view.tracker.alias})
            else:  # stopped by someone else meanwhile
                outcome.errors.append({"ref": ref, "code": result, "message": tracker_store.STOP_PROBLEMS[result]})
    outcome.balance = await balance(ws)
    return outcome
