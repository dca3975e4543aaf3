"""Trackers: create (validate aliases, resolve them upstream with no transaction open, then take slots and write
trackers and first snapshots in one transaction), stop them, switch their post archive. Finding and listing them
is services.tracker_views.

Every face creates and stops trackers through here: the API's both generations, the dashboard's forms and the
CLI's `track`/`stop`. Each alias (or id) succeeds or fails on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from roost.core import domain
from roost.services import backfill, spending, tracker_views
from roost.services.errors import Conflict, Invalid, NotFound, TooMany, Unavailable
from roost.services.runtime import Runtime
from roost.services.upstream import upstream_refusal
from roost.store import queue
from roost.store import snapshots as snapshot_store
from roost.store import trackers as tracker_store
from roost.store import xusers as xuser_store
from roost.store.accounts import Account
from roost.store.db import transaction
from roost.store.trackers import Tracker, TrackerView
from roost.xapi import XApiError, XClient, XUser

MAX_ALIASES = 100
ALREADY_TRACKING = "active tracker with alias already exists"  # Tweet Binder's wording


@dataclass
class CreateOutcome:
    ok: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def fail(self, alias: str, code: str, message: str) -> None:
        self.errors.append({"alias": alias, "code": code, "message": message})


async def create_trackers(
    engine: AsyncEngine,
    xclient: XClient,
    *,
    account_id: int,
    aliases: list[str],
    now: float,
    interval: int,
    unarchived: Collection[str] = (),
) -> CreateOutcome:
    """The whole create flow. Raises XApiUnavailable/XApiRateLimited (nothing written) when resolution fails.
    `unarchived`: aliases (as given) whose trackers start with the post archive off."""
    off = {alias_key(raw) for raw in unarchived}
    outcome = CreateOutcome()
    wanted: dict[str, str] = {}  # lowercased alias -> alias as asked (without '@')
    for raw in aliases:
        try:
            alias = domain.normalize_alias(raw)
        except domain.AliasError as exc:
            outcome.fail(raw, "invalid_alias", str(exc))
            continue
        if alias.lower() in wanted:
            outcome.fail(alias, "duplicate_in_request", f"'{alias}' appears more than once in this request.")
            continue
        wanted[alias.lower()] = alias

    async with engine.connect() as conn:
        active = await tracker_store.active_aliases(conn, account_id=account_id, among=wanted)
    for key in [k for k in wanted if k in active]:
        outcome.fail(wanted.pop(key), "already_tracking", ALREADY_TRACKING)
    if not wanted:
        return outcome

    result = await xclient.users_by_usernames(list(wanted.values()))
    found: dict[str, XUser] = {u.username.lower(): u for u in result.users}
    for problem in result.problems:
        if problem.value.lower() not in wanted:
            continue
        alias = wanted.pop(problem.value.lower())
        if problem.kind == "suspended":
            outcome.fail(alias, "user_suspended", f"The X account @{alias} is suspended.")
        else:
            outcome.fail(alias, "user_not_found", f"No X account is called @{alias}.")
    resolved: list[tuple[str, XUser]] = []
    seen_ids: set[int] = set()
    for key, alias in wanted.items():
        user = found.get(key)
        if user is None:
            outcome.fail(alias, "user_not_found", f"No X account is called @{alias}.")
        elif user.id in seen_ids:
            outcome.fail(alias, "duplicate_in_request", f"'{alias}' names an account already in this request.")
        else:
            seen_ids.add(user.id)
            resolved.append((alias, user))

    for attempt in range(3):
        try:
            created, refused = await _write(
                engine, account_id=account_id, resolved=resolved, now=now, interval=interval, off=off
            )
            break
        except IntegrityError:
            # A concurrent request tracked one of these users first; the next attempt sees it as already tracked.
            if attempt == 2:
                raise
    for alias, tracker_id in created:
        outcome.ok.append({"alias": alias, "resourceId": tracker_id})
    for alias, code in refused:
        if code == "already_tracking":
            outcome.fail(alias, code, ALREADY_TRACKING)
        else:
            outcome.fail(alias, "no_balance", "No free tracker slot left; stop a tracker to free one.")
    return outcome


async def _write(
    engine: AsyncEngine,
    *,
    account_id: int,
    resolved: list[tuple[str, XUser]],
    now: float,
    interval: int,
    off: set[str],
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    refused: list[tuple[str, str]] = []
    if not resolved:
        return [], refused
    async with transaction(engine) as conn:
        tracked_ids = await tracker_store.active_tracker_user_ids(
            conn, account_id=account_id, among=[user.id for _, user in resolved]
        )
        fresh = []
        for alias, user in resolved:
            if user.id in tracked_ids:
                refused.append((alias, "already_tracking"))
            else:
                fresh.append((alias, user))
        granted = await tracker_store.take_up_to(conn, account_id=account_id, n=len(fresh))
        refused.extend((alias, "no_balance") for alias, _ in fresh[granted:])
        fresh = fresh[:granted]
        if not fresh:
            return [], refused
        stamp = int(now)
        bucket = domain.bucket_of(now, interval)
        # The lookup is this bucket's snapshot, so the collector need not fetch the bucket again.
        await xuser_store.upsert_x_users(conn, users=[user for _, user in fresh], now=stamp)
        await queue.advance_bucket(conn, x_user_ids=[user.id for _, user in fresh], bucket=bucket)
        trackers = await tracker_store.create_trackers(
            conn,
            account_id=account_id,
            items=[(alias, user.id) for alias, user in fresh],
            now=stamp,
            archive=[alias.lower() not in off for alias, _ in fresh],
        )
        await snapshot_store.upsert_snapshots(conn, rows=[user.snapshot(bucket=bucket, now=stamp) for _, user in fresh])
    return [(alias, t.id) for (alias, _), t in zip(fresh, trackers, strict=True)], refused


async def create(
    rt: Runtime,
    account: Account,
    aliases: Sequence[str],
    *,
    backfill_posts: bool = False,
    unarchived: Collection[str] = (),
) -> CreateOutcome:
    """Create trackers for up to MAX_ALIASES aliases (those in `unarchived` with the post archive off).
    Unavailable (nothing written) when X cannot be reached.

    With `backfill_posts` (a running server), the new archiving trackers' posts are read back at once in the
    background instead of at the collector's next hourly timeline pass."""
    outcome = await _create(rt, account, aliases, unarchived)
    if backfill_posts and outcome.ok:
        created = await tracker_views.owned(rt, account, [item["resourceId"] for item in outcome.ok])
        backfill.start_backfills(rt, [t.x_user_id for t in created if t.archive])
    return outcome


async def set_archive(rt: Runtime, account: Account, tracker_id: str, archive: bool) -> Tracker:
    """Switch the post archive of one of the account's active trackers; NotFound for unknown and foreign ids,
    Conflict for a stopped one (it reads nothing either way). Switching it on backfills at the next timeline
    pass (`ROOST_BACKFILL_DEPTH` posts) an account whose posts were never read."""
    tracker = await tracker_views.get(rt, account, tracker_id)
    if tracker.status != "active":
        raise Conflict("tracker_stopped", "This tracker is stopped: it archives nothing either way.", field="archive")
    async with transaction(rt.engine) as conn:
        await tracker_store.set_archive(conn, tracker_id=tracker.id, archive=archive, now=int(rt.clock.now()))
    return await tracker_views.get(rt, account, tracker_id)


async def _create(
    rt: Runtime, account: Account, aliases: Sequence[str], unarchived: Collection[str] = ()
) -> CreateOutcome:
    if not 1 <= len(aliases) <= MAX_ALIASES:
        raise Invalid("aliases", f"Give 1 to {MAX_ALIASES} aliases at a time.")
    await spending.check_new_trackers(rt, len(aliases))
    try:
        return await create_trackers(
            rt.engine,
            rt.xclient,
            account_id=account.id,
            aliases=list(aliases),
            now=rt.clock.now(),
            interval=rt.interval,
            unarchived=unarchived,
        )
    except XApiError as exc:
        raise upstream_refusal(exc, action="no tracker was created") from exc


async def create_one(rt: Runtime, account: Account, alias: str, *, archive: bool = True) -> str:
    """Tweet Binder's singular create: the new tracker's id, or the refusal as its own status (409 already
    tracked, 429 "invalid balance", 400 "Bad request" for an unknown or suspended account, 503 upstream down)."""
    outcome = await create(rt, account, [alias], unarchived=() if archive else (alias,))
    if outcome.ok:
        return str(outcome.ok[0]["resourceId"])
    problem = outcome.errors[0]
    code = str(problem["code"])
    if code == "already_tracking":
        raise Conflict(code, ALREADY_TRACKING, field="alias")
    if code == "no_balance":
        raise TooMany(code, "invalid balance", field="alias")
    if code in ("user_not_found", "user_suspended"):
        raise Invalid("alias", "Bad request", reason=problem["message"]).with_code(code)
    raise Invalid("alias", str(problem["message"])).with_code(code)


async def delete_one(rt: Runtime, account: Account, tracker_id: str) -> None:
    """Tweet Binder's `DELETE /user-trackers/:id`: stop the tracker; stopping a stopped one again is a no-op (the
    slot came back once). NotFound for unknown and foreign ids."""
    done = await stop(rt, account, [tracker_id])
    if done.errors and done.errors[0]["code"] == "not_found":
        raise NotFound("tracker")


def alias_key(raw: str) -> str:
    """How aliases compare: case-insensitive, '@' and surrounding spaces ignored."""
    return raw.strip().removeprefix("@").lower()


async def create_many(
    rt: Runtime,
    account: Account,
    aliases: Sequence[str],
    *,
    on_batch: Callable[[int], None] | None = None,
    archive: bool = True,
) -> CreateOutcome:
    """Create trackers for any number of aliases, a hundred per upstream lookup (the X API's batch size), results
    in input order. `on_batch(n)` is told after each batch of n aliases. If X cannot be reached the batches
    already done stay done and the error says how many were created."""
    outcome = CreateOutcome()
    unique: list[str] = []
    seen: set[str] = set()
    for raw in aliases:
        key = alias_key(raw)
        if key in seen:
            outcome.fail(raw, "duplicate_in_request", f"'{raw}' appears more than once.")
            continue
        seen.add(key)
        unique.append(raw)
    for start in range(0, len(unique), MAX_ALIASES):
        batch = unique[start : start + MAX_ALIASES]
        try:
            done = await create(rt, account, batch, unarchived=() if archive else batch)
        except Unavailable as exc:
            exc.message = f"the X API could not be reached; {len(outcome.ok)} trackers were created before that"
            raise
        outcome.ok.extend(done.ok)
        outcome.errors.extend(done.errors)
        if on_batch is not None:
            on_batch(len(batch))
    order = {alias_key(raw): k for k, raw in reversed(list(enumerate(aliases)))}
    outcome.ok.sort(key=lambda item: order.get(alias_key(item["alias"]), len(order)))
    outcome.errors.sort(key=lambda item: order.get(alias_key(str(item["alias"])), len(order)))
    return outcome


@dataclass(frozen=True)
class StopOutcome:
    ok: list[str]  # ids stopped now
    errors: list[dict[str, Any]]  # {"resourceId", "code", "message"}


async def stop(rt: Runtime, account: Account, ids: Sequence[str]) -> StopOutcome:
    """Stop the account's trackers among `ids`: collection ends at once, the slot comes back (once), the data
    stays readable. Unknown and foreign ids are `not_found`; stopped ones `already_stopped`."""
    async with transaction(rt.engine) as conn:
        results = await tracker_store.stop_trackers(conn, account_id=account.id, ids=list(ids), now=rt.now())
    ok = [i for i, result in results if result == "ok"]
    errors = [
        {"resourceId": i, "code": result, "message": tracker_store.STOP_PROBLEMS[result]}
        for i, result in results
        if result != "ok"
    ]
    return StopOutcome(ok=ok, errors=errors)


@dataclass(frozen=True)
class RefStopOutcome:
    ok: list[dict[str, Any]]  # {"ref", "resourceId", "alias"}
    errors: list[dict[str, Any]]  # {"ref", "code", "message"}


async def stop_refs(rt: Runtime, account: Account, refs: Sequence[str]) -> RefStopOutcome:
    """Stop the trackers that `refs` name (ids or aliases of active trackers), as `stop` does."""
    ok: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    views = await tracker_views.every(rt, account)
    wanted: dict[str, tuple[str, TrackerView]] = {}
    for ref in refs:
        try:
            view = tracker_views.find(views, ref, active_only=True)
        except Invalid as exc:
            errors.append({"ref": ref, "code": "invalid_ref", "message": exc.message})
            continue
        if view is None:
            code = "already_stopped" if tracker_views.find(views, ref) else "not_found"
            errors.append({"ref": ref, "code": code, "message": tracker_store.STOP_PROBLEMS[code]})
        elif view.tracker.id not in wanted:
            wanted[view.tracker.id] = (ref, view)
    if wanted:
        done = await stop(rt, account, list(wanted))
        for tracker_id in done.ok:
            ref, view = wanted[tracker_id]
            ok.append({"ref": ref, "resourceId": tracker_id, "alias": view.tracker.alias})
        for error in done.errors:  # stopped by someone else meanwhile
            ref, _ = wanted[error["resourceId"]]
            errors.append({"ref": ref, "code": error["code"], "message": error["message"]})
    return RefStopOutcome(ok=ok, errors=errors)
