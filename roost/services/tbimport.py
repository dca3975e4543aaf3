"""`roost import tweetbinder`: the history a Tweet Binder customer already has, brought into a Roost account.

For each upstream tracker (all, or the ones asked for): the Roost tracker is the one an earlier import used (its
cursor), else the account's tracker of the same X user (the active one for an active tracker; for a stopped one,
a stopped one created at the same moment), else a new one with the upstream's id (when free), alias, status and
times; a new active tracker takes a slot and is collected from then on. Its start is moved back to the upstream's
creation if that is earlier, so the history is inside its life.

Then its `isTimeline=true` stats are read in windows of 30 days from the cursor on, and each window's snapshots are
written with their original `_id`, counts, `createdAt` and `updatedAt` and marked `imported_at`, together with the
cursor (the newest `_id` imported) in one transaction. An interrupted import resumes from the last window written; a
second import adds nothing (a bucket Roost holds, collected or imported, is never written again).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from roost.services.errors import Invalid, ServiceError
from roost.services.runtime import Runtime
from roost.services.tbclient import RemoteSnapshot, RemoteTracker, TweetBinder
from roost.store import imports
from roost.store import trackers as tracker_store
from roost.store.accounts import Account
from roost.store.db import transaction
from roost.store.trackers import Tracker

DAY = 86400
WINDOW = 30 * DAY
Progress = Callable[[str, int, int, int], None]  # (alias, windows done, windows in all, snapshots added so far)


@dataclass
class TrackerImport:
    remote_id: str
    alias: str
    tracker_id: str | None = None
    how: str = ""  # created | matched | resumed
    added: int = 0  # snapshots written
    read: int = 0  # snapshots the upstream returned
    error: str | None = None


@dataclass
class Imported:
    generation: str
    trackers: list[TrackerImport] = field(default_factory=list)
    retries: int = 0

    @property
    def added(self) -> int:
        return sum(t.added for t in self.trackers)


def _x_user(remote: RemoteTracker) -> dict[str, object]:
    p = remote.profile
    return {
        "id": _user_id(remote),
        "username": (remote.username or remote.alias)[:32],
        "name": p.name or remote.alias,
        "description": p.bio,
        "profile_image_url": p.picture,
        "location": p.location,
        "account_created_at": p.age,
    }


def _user_id(remote: RemoteTracker) -> int:
    try:
        return int(remote.profile.id)
    except ValueError:
        raise ServiceError(
            "upstream_failed", f"tracker {remote.id}: profile.id {remote.profile.id!r} is not an X id"
        ) from None


def _stopped_at(remote: RemoteTracker) -> int | None:
    if remote.status == "active":
        return None
    return remote.stoppedAt or remote.updatedAt


def _row(snap: RemoteSnapshot, *, x_user_id: int, now: int) -> dict[str, object]:
    return {
        "x_user_id": x_user_id, "bucket": snap.bucket, "tweets": snap.tweets, "followers": snap.followers,
        "following": snap.following, "lists": snap.lists, "created_at": snap.createdAt, "updated_at": snap.updatedAt,
        "originals": snap.originals, "retweet_statuses": snap.retweetStatuses, "deleted": snap.deleted,
        "retweets": snap.retweets, "favorites": snap.favorites, "imported_at": now,
    }  # fmt: skip


async def _place(
    rt: Runtime, account: Account, remote: RemoteTracker, *, source: str
) -> tuple[Tracker, str, int | None]:
    """The Roost tracker the remote one's history goes to (made if need be), how it was found, and the cursor."""
    now = rt.now()
    async with transaction(rt.engine) as conn:
        cursor = await imports.get_cursor(conn, account_id=account.id, source=source, remote_id=remote.id)
        tracker = None if cursor is None else await imports.tracker_by_id(conn, tracker_id=cursor[0])
        how, last = "resumed", None if cursor is None else cursor[1]
        if tracker is None:
            await imports.ensure_x_user(conn, user=_x_user(remote), now=now)
            active = remote.status == "active"
            tracker = await imports.matching_tracker(
                conn, account_id=account.id, x_user_id=_user_id(remote), active=active, created_at=remote.createdAt
            )
            how, last = "matched", None
            if tracker is None:
                if active and not await tracker_store.take_slots(conn, account_id=account.id, n=1):
                    raise ServiceError(
                        "no_balance",
                        f"no free tracker slot for the active tracker @{remote.alias}: free one, or give the account "
                        "more (roost accounts create ... --trackers N)",
                    )
                taken = await imports.tracker_by_id(conn, tracker_id=remote.id)
                tracker = Tracker(
                    id=remote.id if len(remote.id) <= 36 and taken is None else str(uuid.uuid4()),
                    account_id=account.id, x_user_id=_user_id(remote), alias=remote.alias.removeprefix("@")[:32],
                    status=remote.status, created_at=remote.createdAt, updated_at=remote.updatedAt,
                    stopped_at=_stopped_at(remote),
                )  # fmt: skip
                await imports.insert_tracker(conn, tracker)
                how = "created"
            await imports.save_cursor(
                conn, account_id=account.id, source=source, remote_id=remote.id, tracker_id=tracker.id, last=None,
                now=now,
            )  # fmt: skip
        await imports.reach_back(conn, tracker_id=tracker.id, created_at=remote.createdAt)
    return tracker, how, last


def _windows(start: int, end: int) -> list[tuple[int, int]]:
    return [(lo, min(lo + WINDOW - 1, end)) for lo in range(start, end + 1, WINDOW)]


async def _one(
    rt: Runtime, client: TweetBinder, account: Account, remote: RemoteTracker, *, source: str, progress: Progress | None
) -> TrackerImport:
    done = TrackerImport(remote.id, remote.alias)
    tracker, done.how, last = await _place(rt, account, remote, source=source)
    done.tracker_id = tracker.id
    first = min(remote.createdAt, remote.firstStats or remote.createdAt) - DAY
    start = max(0, first) if last is None else last + 1
    end = _stopped_at(remote) or rt.now()
    windows = _windows(start, end)
    for k, (lo, hi) in enumerate(windows, 1):
        snaps = await client.timeline(remote.id, start=lo, end=hi)
        done.read += len(snaps)
        now = rt.now()
        async with transaction(rt.engine) as conn:
            rows = [_row(s, x_user_id=tracker.x_user_id, now=now) for s in snaps]
            done.added += await imports.insert_snapshots(conn, rows=rows)
            if snaps:
                last = max(last or 0, snaps[-1].bucket)
                await imports.save_cursor(
                    conn, account_id=account.id, source=source, remote_id=remote.id, tracker_id=tracker.id,
                    last=last, now=now,
                )  # fmt: skip
        if progress is not None:
            progress(remote.alias, k, len(windows), done.added)
    return done


async def import_tweetbinder(
    rt: Runtime,
    account: Account,
    *,
    api: str,
    token: str,
    only: list[str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    attempt_seconds: float = 30.0,
    progress: Progress | None = None,
) -> Imported:
    """Import the trackers (all, or `only` these upstream ids) of the account behind `token` at `api`."""
    if not api.startswith(("http://", "https://")):
        raise Invalid("api", "--api must be an http(s) URL, e.g. https://api.tweetbinder.com")
    if not token.strip():
        raise Invalid("token", "--token must not be empty")
    client = TweetBinder(api, token, clock=rt.clock, transport=transport, timeout=attempt_seconds)
    try:
        remote = await client.trackers()
        if only:
            known = {t.id for t in remote}
            missing = [i for i in only if i not in known]
            if missing:
                raise Invalid("trackers", f"--trackers: no such tracker upstream: {', '.join(missing)}")
            remote = [t for t in remote if t.id in set(only)]
        report = Imported(client.generation or "")
        for item in remote:
            try:
                report.trackers.append(await _one(rt, client, account, item, source=client.base_url, progress=progress))
            except ServiceError as exc:
                if exc.code != "no_balance":
                    raise
                report.trackers.append(TrackerImport(item.id, item.alias, error=exc.message))
        report.retries = client.retries
        return report
    finally:
        await client.aclose()
