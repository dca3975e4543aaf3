"""The collector's loop: a snapshot pass per bucket, a heartbeat, and a clean stop on request.

Between passes it sleeps on the injected clock: until the next bucket, or, while the current bucket still has
users leased by a worker that may have died, until their lease can have run out. The next bucket is the one after
the bucket just collected, never one taken from the time a pass ended: a pass that ran late is followed at once by
the next bucket's pass, so no bucket is skipped. Snapshots come first in time too: the timeline pass stops at the
next bucket's start and its unfinished reads go on after that bucket's snapshot pass (`TimelinePass.resumes`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from roost.collector import alerting, budget_alerts, reporting
from roost.collector.delivery import Deliverer
from roost.collector.reading import Resume
from roost.collector.snapshots import PassReport, SnapshotPass
from roost.collector.spending import SpendingGate, spending_gate
from roost.collector.timeline import DEFAULT_STAGES, TimelinePass, TimelineReport
from roost.config import Settings
from roost.core.billing import parse_refresh_schedule
from roost.core.clock import Clock, VirtualClock, sleep_unless_stopped
from roost.store import activity, heartbeats, maintenance, queue
from roost.store.db import transaction
from roost.xapi import XClient

log = logging.getLogger("roost.collector")


def settings_stages(settings: Settings) -> tuple[int, ...]:
    """`ROOST_REFRESH_SCHEDULE` read, or a ValueError that names the setting and the wrong stage."""
    try:
        return parse_refresh_schedule(settings.refresh_schedule)
    except ValueError as exc:
        raise ValueError(f"ROOST_REFRESH_SCHEDULE: {exc}") from None


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Collector:
    engine: AsyncEngine
    xclient: XClient
    clock: Clock
    interval: int = 3600
    worker_id: str = field(default_factory=default_worker_id)
    lease_seconds: int = 300
    concurrency: int = 4
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    reports: list[PassReport] = field(default_factory=list)
    timeline: bool = False  # archive posts after each snapshot pass (roost.collector.timeline)
    backfill_depth: int = 3200
    refresh_stages: tuple[int, ...] = DEFAULT_STAGES
    timeline_reports: list[TimelineReport] = field(default_factory=list)
    resumes: dict[int, Resume] = field(default_factory=dict)  # timeline reads stopped at a bucket's end
    spending: SpendingGate | None = None  # the monthly budget (None: no budget)
    retention_hourly_months: int | None = None  # store/retention.py; None keeps every snapshot
    maintained_day: int | None = None  # the UTC day the last maintenance round started (store/maintenance.py)
    _maintenance: asyncio.Task[maintenance.Report] | None = None
    deliver: bool = False  # also deliver alerts from the outbox (roost.collector.delivery), beside the passes
    delivery_lease: int = 120
    base_url: str = "http://127.0.0.1:8000"  # where scheduled reports' links point (ROOST_PUBLIC_URL)

    @classmethod
    def for_settings(cls, settings: Settings, *, engine: AsyncEngine, xclient: XClient, clock: Clock) -> Collector:
        """The collector `roost serve` and `roost collect` run: bucket, timeline and backfill from the settings."""
        return cls(
            engine=engine,
            xclient=xclient,
            clock=clock,
            interval=settings.snapshot_interval,
            timeline=settings.timeline,
            backfill_depth=settings.backfill_depth,
            refresh_stages=settings_stages(settings),
            spending=spending_gate(settings, engine=engine, clock=clock),
            retention_hourly_months=settings.retention_hourly_months,
            deliver=True,
            delivery_lease=settings.alert_lease_seconds,
            base_url=settings.base_url,
        )

    async def run_once(self) -> PassReport:
        report = await SnapshotPass(
            engine=self.engine,
            xclient=self.xclient,
            clock=self.clock,
            interval=self.interval,
            worker_id=self.worker_id,
            lease_seconds=self.lease_seconds,
            concurrency=self.concurrency,
            spending=self.spending,
        ).run()
        self.reports.append(report)
        if self.timeline:
            timeline = TimelinePass(
                engine=self.engine, xclient=self.xclient, clock=self.clock, worker_id=self.worker_id,
                deadline=report.bucket + self.interval, backfill_depth=self.backfill_depth, resumes=self.resumes,
                spending=self.spending, refresh_stages=self.refresh_stages, concurrency=self.concurrency,
            )  # fmt: skip
            self.timeline_reports.append(await timeline.run())
        async with transaction(self.engine) as conn:
            # The bucket's snapshots get their posting activity from the archive as it stands now, after this
            # bucket's timeline pass (store/activity.py); written once, never revised.
            await activity.stamp(conn, bucket=report.bucket, now=int(self.clock.now()))
            await alerting.check_stale(conn, now=int(self.clock.now()))  # "no snapshot for N hours" rules
            await budget_alerts.check(conn, now=int(self.clock.now()), gate=self.spending)  # budget or cap share
            await reporting.emit_due(conn, now=int(self.clock.now()), interval=self.interval, base_url=self.base_url)
            info = {"bucket": report.bucket, "snapshots": report.snapshots, "users": report.users}
            await heartbeats.beat(conn, worker_id=self.worker_id, now=int(self.clock.now()), info=json.dumps(info))
        return report

    async def run(self, until: float | None = None) -> None:
        """Collect until `stop` is set (or, for tests and backfills, until the clock passes `until`)."""
        log.info("collector %s started (bucket %ds)", self.worker_id, self.interval)
        deliverer = (
            Deliverer(self.engine, self.clock, self.worker_id, lease_seconds=self.delivery_lease)
            if self.deliver
            else None
        )
        delivering = asyncio.create_task(deliverer.run()) if deliverer is not None else None
        try:
            await self._collect(until, deliverer)
        finally:
            if deliverer is not None and delivering is not None:
                deliverer.stop.set()
                await delivering
            await self._end_maintenance()  # its step rolls back; the next start does it again
        log.info("collector %s stopped", self.worker_id)

    def maintain(self) -> None:
        """Start the day's maintenance round (at start, then once a UTC day): partitions made ahead, closed months
        compacted, the retention policy. It runs after a pass, never beside one: its DDL and this collector's
        writes lock the same tables in different orders, so side by side they could deadlock. A round that is
        still running when the next pass is due is cancelled (its step rolls back) and started again later; on a
        virtual clock it is waited for instead (see `_collect`)."""
        day = int(self.clock.now()) // 86400
        if day == self.maintained_day or (self._maintenance is not None and not self._maintenance.done()):
            return
        self.maintained_day = day
        self._maintenance = asyncio.ensure_future(self._maintain())

    async def _end_maintenance(self, *, finish: bool = False) -> None:
        """Before a pass: a round still running is cancelled and done again after the pass. With `finish` it is
        waited for instead (unless the collector is asked to stop): see `_collect`."""
        task = self._maintenance
        if task is None or task.done():
            return
        if finish and await self._done_unless_stopped(task):
            return
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        self.maintained_day = None

    async def _maintain(self) -> maintenance.Report:
        try:
            return await maintenance.run(
                self.engine, now=int(self.clock.now()), hourly_months=self.retention_hourly_months
            )
        except Exception:
            # A lock it could not get in time, a disk full: logged, and tried again the next day (or start).
            log.exception("maintenance round failed")
            return maintenance.Report()

    async def _collect(self, until: float | None, deliverer: Deliverer | None) -> None:
        # On a virtual clock (`roost simulate`, the demo's history, tests) no time passes while work runs, so the
        # next pass is due the moment this one ends: a round cancelled then would never finish (it was started
        # and cancelled at every pass). There a round is waited for, as a real one ends well inside the hour.
        finish = isinstance(self.clock, VirtualClock)
        while not self.stop.is_set() and (until is None or self.clock.now() < until):
            await self._end_maintenance(finish=finish)
            report = await self._unless_stopped()
            if report is None:
                break
            if deliverer is not None:
                deliverer.nudge()  # the pass's alerts and reports go out now, not at the next poll
            self.maintain()
            if report.budget_cut or any(t.budget_cut for t in self.timeline_reports[-1:]):
                log.info("bucket %d: the monthly X budget held some work back (see `roost upstream status`)",
                         report.bucket)  # fmt: skip
            if report.users or report.failed_batches:
                log.info(
                    "bucket %d: %d users, %d snapshots, %d requests, %d failed batches",
                    report.bucket, report.users, report.snapshots, report.requests, report.failed_batches,
                )  # fmt: skip
            now = self.clock.now()
            next_bucket = report.bucket + self.interval  # collected late rather than skipped
            wake: float = max(now, next_bucket)
            if report.blocked_until is not None:
                wake = min(next_bucket, max(now, report.blocked_until))
            elif await self._leased_elsewhere(report.bucket, next_bucket):
                # Another worker holds some of this bucket; if it died, its lease runs out before the bucket does.
                wake = max(now, min(next_bucket, now + self.lease_seconds))
            if until is not None:
                wake = min(wake, until)
            # Until `wake` as a moment, measured now: the lease check above awaited, and on a shared virtual clock
            # another collector's sleep may have moved time meanwhile; sleeping the span counted before that
            # overshot by as much, once by more than a bucket, which was then never collected.
            await sleep_unless_stopped(self.clock, max(0.0, wake - self.clock.now()), self.stop)

    async def _unless_stopped(self) -> PassReport | None:
        """One pass, abandoned at once when asked to stop (None): a pass can be deep in retries, rate-limit
        waits or a slow upstream's answers, and SIGTERM must not wait for them. What it leased runs out and is
        taken again; an unfinished timeline read is read again (posts upsert: nothing doubles)."""
        work = asyncio.ensure_future(self.run_once())
        try:
            await self._done_unless_stopped(work)
        finally:
            if not work.done():
                work.cancel()
                log.info("collector %s: stopping in the middle of a pass", self.worker_id)
            await asyncio.gather(work, return_exceptions=True)
        return None if work.cancelled() else work.result()

    async def _done_unless_stopped(self, task: asyncio.Future[Any]) -> bool:
        """Wait for `task` or for `stop`, whichever comes first; whether the task is done."""
        stopper = asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            await asyncio.gather(stopper, return_exceptions=True)
        return task.done()

    async def _leased_elsewhere(self, bucket: int, bucket_end: int) -> bool:
        async with self.engine.connect() as conn:
            return await queue.count_due_users(conn, bucket=bucket, now=bucket_end) > 0
