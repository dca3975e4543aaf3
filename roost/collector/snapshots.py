"""The snapshot pass: every due X user gets one snapshot in the current bucket.

Work is claimed in the database (batches of up to 100 users, under a lease), so several workers share it and a
worker that dies mid-batch only delays its batch until the lease runs out. One `GET /2/users?ids=` per batch;
the `(x_user_id, bucket)` key makes a repeated collection an idempotent refresh, never a second row.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from roost.collector import alerting
from roost.collector.spending import SpendingGate
from roost.core import domain
from roost.core.clock import Clock
from roost.metrics import BUCKET_GAPS, COLLECTION_LAG, SNAPSHOTS_WRITTEN
from roost.store import queue
from roost.store import snapshots as snapshot_store
from roost.store import xusers as xuser_store
from roost.store.db import transaction
from roost.xapi import XApiError, XApiPaused, XApiRateLimited, XApiRejected, XClient, XUser
from roost.xapi.metering import billed_as
from roost.xapi.models import LookupProblem

log = logging.getLogger("roost.collector")

BATCH = 100
PAUSED_RETRY = 600  # the meter lets one probe through every 10 minutes; asking sooner only gets a refusal
PROBLEM_STATES: dict[str, tuple[xuser_store.UserState, str]] = {
    "not_found": ("not_found", "The X account was not found (deleted, or the id no longer exists)."),
    "suspended": ("suspended", "The X account is suspended."),
    "protected": ("protected", "The X account is protected."),
    "other": ("not_found", "X did not return this account."),
}


@dataclass
class PassReport:
    bucket: int
    users: int = 0
    snapshots: int = 0
    requests: int = 0
    failed_batches: int = 0
    rate_limited: int = 0  # batches given back to wait for a rate-limit window
    blocked_until: float | None = None  # the pass stopped early: nothing can be sent before this
    gaps: int = 0
    budget_cut: bool = False  # the monthly budget no longer holds even snapshots: the pass stopped spending
    problems: dict[str, int] = field(default_factory=dict)
    finished_at: float = 0.0


@dataclass
class SnapshotPass:
    engine: AsyncEngine
    xclient: XClient
    clock: Clock
    interval: int
    worker_id: str
    lease_seconds: int = 300
    concurrency: int = 4
    spending: SpendingGate | None = None
    # A claim came back short: nothing else is due now, so the other workers of this pass need not ask (each ask
    # is a write transaction). A batch given back makes users due again and clears it.
    drained: bool = field(default=False, init=False)
    _claiming: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    async def run(self) -> PassReport:
        """Collect the current bucket until no user is due, or the bucket is over."""
        bucket = domain.bucket_of(self.clock.now(), self.interval)
        report = PassReport(bucket=bucket)
        # A pass that stopped early (rate limit spent to the end of the bucket), or a process that was down,
        # leaves the previous bucket's misses to be recorded now; in the transaction that syncs the flags.
        await self._record_gaps(bucket - self.interval, report, sync_flags=True)
        await asyncio.gather(*(self._worker(bucket, report) for _ in range(self.concurrency)))
        report.finished_at = self.clock.now()
        COLLECTION_LAG.set(report.finished_at - bucket)
        if report.finished_at >= bucket + self.interval:
            await self._record_gaps(bucket, report)
        return report

    async def _record_gaps(self, bucket: int, report: PassReport, *, sync_flags: bool = False) -> None:
        """The bucket closed with users still due: they stay without a snapshot for it (no invented values), and
        their trackers say why until the next successful lookup. Recorded once per user and bucket."""
        when = datetime.fromtimestamp(bucket, UTC).strftime("%Y-%m-%d %H:%M UTC")
        error = f"No snapshot for the bucket of {when}: the X API could not be reached in time."
        async with transaction(self.engine) as conn:
            gaps = await queue.mark_gaps(conn, bucket=bucket, bucket_end=bucket + self.interval, error=error)
            if sync_flags:
                await queue.sync_collect_flags(conn)
        if gaps:
            report.gaps += gaps
            BUCKET_GAPS.inc(gaps)
            log.warning("bucket %d closed with %d users uncollected", bucket, gaps)

    async def _worker(self, bucket: int, report: PassReport) -> None:
        while self.clock.now() < bucket + self.interval:
            async with self._claiming:  # claims take turns anyway (the write lock, an advisory lock)
                if self.drained:
                    return
                async with transaction(self.engine) as conn:
                    claimed = await queue.claim_due_users(
                        conn,
                        bucket=bucket,
                        now=int(self.clock.now()),
                        owner=self.worker_id,
                        lease_seconds=self.lease_seconds,
                        limit=BATCH,
                    )
                self.drained = len(claimed) < BATCH
            if not claimed:
                return
            ids = [user.id for user in claimed]
            bucket_end = bucket + self.interval
            if self.spending is not None:
                cost = await self.spending.worst_case(users=ids)
                if not await self.spending.fits("snapshots", cost):
                    await self._give_back(ids)
                    report.budget_cut = True
                    report.blocked_until = bucket_end
                    return
            try:
                # Never wait out a rate-limit window while holding the batch: past its lease another worker would
                # take the same users. A longer wait gives the batch back and waits without it.
                max_wait = max(0.0, min(bucket_end - self.clock.now(), self.lease_seconds * 0.8))
                with billed_as("snapshots"):
                    result = await self.xclient.users_by_ids(ids, max_wait=max_wait)
            except XApiError as exc:
                # Give the batch back: it is retried while the bucket is open, and otherwise this bucket stays
                # missing for these users (no invented values).
                await self._give_back(ids)
                if isinstance(exc, XApiRateLimited) and exc.retry_at < bucket_end:
                    report.rate_limited += 1
                    await self.clock.sleep(exc.retry_at - self.clock.now())
                    continue
                report.failed_batches += 1
                if isinstance(exc, XApiPaused):
                    # Paused upstream (spent credits): look again when the next probe may go out, not before.
                    report.blocked_until = exc.until if exc.until is not None else self.clock.now() + PAUSED_RETRY
                    log.info("bucket %d: stopping the pass: %s", bucket, exc)
                    return
                if isinstance(exc, XApiRejected | XApiRateLimited):
                    # No request can succeed before the bucket ends: stop instead of spinning.
                    report.blocked_until = getattr(exc, "retry_at", bucket_end)
                    log.warning("bucket %d: stopping the pass: %s", bucket, exc)
                    return
                log.warning("lookup of %d users failed in bucket %d: %s", len(ids), bucket, exc)
                await self.clock.sleep(min(60.0, max(0.0, bucket_end - self.clock.now())))
                continue
            report.users += len(ids)
            report.requests += 1
            await self._save(bucket, ids, result.users, result.problems, report)

    async def _give_back(self, ids: list[int]) -> None:
        """Release the lease so another attempt (by any worker) can take the batch while the bucket lasts."""
        async with transaction(self.engine) as conn:
            await queue.release_users(conn, x_user_ids=ids, owner=self.worker_id)
        self.drained = False

    async def _save(
        self, bucket: int, ids: list[int], users: list[XUser], problems: list[LookupProblem], report: PassReport
    ) -> None:
        now = int(self.clock.now())
        rows = [u.snapshot(bucket=bucket, now=now) for u in users]
        states = [(int(p.value), PROBLEM_STATES[p.kind][0]) for p in problems if p.value.isdigit()]
        async with transaction(self.engine) as conn:
            await snapshot_store.upsert_snapshots(conn, rows=rows)
            # Alerts (issue 22) in this transaction, before the users' rows change: they compare names and states.
            await alerting.on_lookup(conn, snapshots=rows, users=users, problems=states, now=now)
            if users:
                await xuser_store.upsert_x_users(conn, users=users, now=now)
                # Even a user whose lease another worker has taken over since is done for this bucket.
                await queue.advance_bucket(conn, x_user_ids=[u.id for u in users], bucket=bucket)
            for problem in problems:
                state, message = PROBLEM_STATES[problem.kind]
                if problem.value.isdigit():
                    await xuser_store.set_state(conn, x_user_id=int(problem.value), state=state, error=message, now=now)
                report.problems[problem.kind] = report.problems.get(problem.kind, 0) + 1
            await queue.mark_collected(conn, x_user_ids=ids, owner=self.worker_id, bucket=bucket, now=now)
        SNAPSHOTS_WRITTEN.inc(len(users))
        report.snapshots += len(users)
