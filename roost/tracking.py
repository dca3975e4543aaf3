"""Creating trackers: validate aliases (pure), resolve them upstream (no transaction open), then take slots and
write trackers and first snapshots in one transaction. Each alias succeeds or fails on its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from roost import domain
from roost.store import snapshots as snapshot_store
from roost.store import trackers as tracker_store
from roost.store import xusers as xuser_store
from roost.store.db import write_transaction
from roost.xapi import XClient, XUser

MAX_ALIASES = 100


@dataclass
class CreateOutcome:
    ok: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def fail(self, alias: str, code: str, message: str) -> None:
        self.errors.append({"alias": alias, "code": code, "message": message})


async def create_trackers(
    engine: AsyncEngine, xclient: XClient, *, account_id: int, aliases: list[str], now: float, interval: int
) -> CreateOutcome:
    """The whole create flow. Raises XApiUnavailable/XApiRateLimited (nothing written) when resolution fails."""
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
        active = await tracker_store.active_aliases(conn, account_id=account_id)
    for key in [k for k in wanted if k in active]:
        outcome.fail(wanted.pop(key), "already_tracking", "An active tracker with this alias already exists.")
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
                engine, account_id=account_id, resolved=resolved, now=now, interval=interval
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
            outcome.fail(alias, code, "An active tracker with this alias already exists.")
        else:
            outcome.fail(alias, "no_balance", "No free tracker slot left; stop a tracker to free one.")
    return outcome


async def _write(
    engine: AsyncEngine, *, account_id: int, resolved: list[tuple[str, XUser]], now: float, interval: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    refused: list[tuple[str, str]] = []
    if not resolved:
        return [], refused
    async with write_transaction(engine) as conn:
        tracked_ids = await tracker_store.active_tracker_user_ids(conn, account_id=account_id)
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
        await xuser_store.upsert_x_users(conn, users=[user for _, user in fresh], now=stamp, bucket=bucket)
        trackers = await tracker_store.create_trackers(
            conn, account_id=account_id, items=[(alias, user.id) for alias, user in fresh], now=stamp
        )
        await snapshot_store.upsert_snapshots(
            conn,
            rows=[
                domain.Snapshot(
                    x_user_id=user.id,
                    bucket=bucket,
                    tweets=user.tweets,
                    followers=user.followers,
                    following=user.following,
                    lists=user.lists,
                    created_at=stamp,
                    updated_at=stamp,
                )
                for _, user in fresh
            ],
        )
    return [(alias, t.id) for (alias, _), t in zip(fresh, trackers, strict=True)], refused
