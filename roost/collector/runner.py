"""The collector's loop: a snapshot pass per bucket, a heartbeat, and a clean stop on request.

Between passes it sleeps on the injected clock: until the next bucket, or, while the current bucket still has
users leased by a worker that may have died, until their lease can have run out.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from roost.collector import alerting
from roost.collector.delivery import Deliverer
from roost.collector.snapshots import PassReport, SnapshotPass
from roost.collector.timeline import TimelinePass, TimelineReport
from roost.config import Settings
from roost.core import domain
from roost.core.clock import Clock
from roost.store import activity, heartbeats, queue
from roost.store.db import transaction
from roost.xapi import XClient

log = logging.getLogger("roost.collector")


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
    timeline_reports: list[TimelineReport] = field(default_factory=list)
    deliver: bool = False  # also deliver alerts from the outbox (roost.collector.delivery), beside the passes
    delivery_lease: int = 120

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
            deliver=True,
            delivery_lease=settings.alert_lease_seconds,
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
        ).run()
        self.reports.append(report)
        if self.timeline:
            timeline = TimelinePass(
                engine=self.engine, xclient=self.xclient, clock=self.clock, worker_id=self.worker_id,
                deadline=report.bucket + self.interval, backfill_depth=self.backfill_depth,
            )  # fmt: skip
            self.timeline_reports.append(await timeline.run())
        async with transaction(self.engine) as conn:
            # The bucket's snapshots get their posting activity from the archive as it stands now, after this
            # bucket's timeline pass (store/activity.py); written once, never revised.
            await activity.stamp(conn, bucket=report.bucket, now=int(self.clock.now()))
            await alerting.check_stale(conn, now=int(self.clock.now()))  # "no snapshot for N hours" rules
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
            await self._loop(until)
        finally:
            if deliverer is not None and delivering is not None:
                deliverer.stop.set()
                await delivering
        log.info("collector %s stopped", self.worker_id)

    async def _loop(self, until: float | None) -> None:
        while not self.stop.is_set() and (until is None or self.clock.now() < until):
            report = await self.run_once()
            if report.users or report.failed_batches:
                log.info(
                    "bucket %d: %d users, %d snapshots, %d requests, %d failed batches",
                    report.bucket, report.users, report.snapshots, report.requests, report.failed_batches,
                )  # fmt: skip
            now = self.clock.now()
            next_bucket = domain.bucket_of(now, self.interval) + self.interval
            wake: float = next_bucket
            if report.blocked_until is not None:
                wake = min(next_bucket, max(now, report.blocked_until))
            elif await self._leased_elsewhere(report.bucket, next_bucket):
                # Another worker holds some of this bucket; if it died, its lease runs out before the bucket does.
                wake = min(next_bucket, now + self.lease_seconds)
            if until is not None:
                wake = min(wake, until)
            await self._sleep(max(0.0, wake - now))

    async def _leased_elsewhere(self, bucket: int, bucket_end: int) -> bool:
        async with self.engine.connect() as conn:
            return await queue.count_due_users(conn, bucket=bucket, now=bucket_end) > 0

    async def _sleep(self, seconds: float) -> None:
        """Sleep on the clock, but wake at once when asked to stop."""
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        stopper = asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, stopper):
                task.cancel()
