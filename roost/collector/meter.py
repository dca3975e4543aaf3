"""The X client's meter, kept in the database: every process's reads land in one ledger (roost.store.usage), every
process obeys the same pauses (roost.store.pauses).

`admit` runs before each request: nothing paused for its endpoint lets it go; a cap's pause lifts by itself on
its reset; a paused kind otherwise gets one request through (a probe) at most every `probe_every` seconds across
all processes when the pause may lift by a success (spent credits), and none while a cap holds. A probe that
succeeds lifts its pause (`charge`). Each transition is logged once, by the process that made it.
"""

from __future__ import annotations

import logging
import math
import time
import weakref
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from roost.core.billing import DEFAULT_PRICES, PriceTable
from roost.core.clock import Clock
from roost.core.metering import Purpose, Receipt, Refusal, pause_kind_of
from roost.metrics import BILLABLE_RESOURCES, BILLED_DOLLARS, UPSTREAM_PAUSES
from roost.store import pauses as pause_store
from roost.store import usage
from roost.store.db import transaction
from roost.xapi.errors import XApiPaused

log = logging.getLogger("roost.upstream")

USAGE_ENDPOINT = "GET /2/usage/tweets"
PROBE_EVERY = 600  # at most one request per paused kind every 10 minutes
QUIET_SECONDS = 1.0  # how long an empty pauses table is taken as still empty (real time, this process)
CapReset = Callable[[float], Awaitable[float | None]]


def _when(t: float | None) -> str:
    return "an operator's resume or a successful probe" if t is None else datetime.fromtimestamp(t, UTC).isoformat()


def applies(kind: str, endpoint: str) -> bool:
    """Whether a pause of `kind` holds requests to `endpoint` back."""
    return kind == "all" or kind == pause_kind_of(endpoint)


class _Quiet:
    """When this process last read the pauses table empty, shared by every meter on one engine (each collector
    worker has a client and a meter of its own). Admits within QUIET_SECONDS of real time after such a read skip
    the table: it is nearly always empty, and reading it was a round trip per request (three on PostgreSQL).
    A refusal recorded here forgets the reading at once, and a read that overlapped one is not kept; another
    process's pause is seen at most QUIET_SECONDS late (a request sent meanwhile is refused and records it)."""

    __slots__ = ("at", "busy", "generation")

    def __init__(self) -> None:
        self.at = -math.inf  # time.monotonic() of the last empty read
        self.busy = 0  # refusals being recorded now
        self.generation = 0  # moves whenever a refusal starts or ends

    def forget(self) -> None:
        self.at = -math.inf
        self.generation += 1


_QUIETS: weakref.WeakKeyDictionary[Engine, _Quiet] = weakref.WeakKeyDictionary()


def _quiet(engine: AsyncEngine) -> _Quiet:
    found = _QUIETS.get(engine.sync_engine)
    if found is None:
        found = _QUIETS[engine.sync_engine] = _Quiet()
    return found


class StoreMeter:
    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock,
        *,
        cap_reset: CapReset | None = None,
        probe_every: int = PROBE_EVERY,
        prices: PriceTable = DEFAULT_PRICES,
    ) -> None:
        """`cap_reset(now)`: when a cap reached at `now` lifts (X's `cap_reset_day`, or the next billing month);
        None keeps the pause until an operator resumes. `prices`: what `/metrics` counts each charge at."""
        self.engine = engine
        self.prices = prices
        self.clock = clock
        self.cap_reset = cap_reset
        self.probe_every = probe_every
        self._probing: set[str] = set()  # kinds this process has a probe out for

    async def admit(self, endpoint: str, purpose: Purpose) -> None:
        quiet = _quiet(self.engine)
        if quiet.busy == 0 and time.monotonic() - quiet.at < QUIET_SECONDS:
            return  # nothing was paused a moment ago (and no refusal is being recorded in this process)
        generation = quiet.generation
        async with self.engine.connect() as conn:
            pauses = await pause_store.list_pauses(conn)
        if not pauses and quiet.busy == 0 and quiet.generation == generation:
            quiet.at = time.monotonic()
        held = [p for p in pauses if applies(p.kind, endpoint)]
        if not held:
            return
        now = int(self.clock.now())
        if any(p.until is not None and p.until <= now for p in held):
            async with transaction(self.engine) as conn:
                for pause in await pause_store.end_expired(conn, now=now):
                    log.warning("upstream: %s requests resumed: the %s pause ran until %s", pause.kind, pause.reason,
                                _when(pause.until))  # fmt: skip
            held = [p for p in held if p.until is None or p.until > now]
        for pause in held:
            if pause.reason == "credits":
                async with transaction(self.engine) as conn:
                    probe = await pause_store.claim_probe(conn, kind=pause.kind, now=now, every=self.probe_every)
                if probe:
                    log.info("upstream: probing whether X answers %s again (%s)", endpoint, pause.detail)
                    self._probing.add(pause.kind)
                    continue
            raise XApiPaused(pause.kind, pause.reason, pause.detail, pause.until)

    async def charge(self, receipt: Receipt) -> None:
        async with transaction(self.engine) as conn:
            charged = await usage.record_reads(conn, receipt=receipt)
            lifted = []
            probed = [kind for kind in self._probing if applies(kind, receipt.endpoint)]
            if probed:
                self._probing.difference_update(probed)
                lifted = await pause_store.end_pauses(conn, kinds=probed)
        for item in charged:
            BILLABLE_RESOURCES.labels(item.kind, receipt.purpose).inc()
            BILLED_DOLLARS.labels(receipt.purpose).inc(float(self.prices.price(item.kind)))
        for pause in lifted:
            UPSTREAM_PAUSES.labels(pause.kind, "resumed").inc()
            log.warning("upstream: %s requests resumed: a probe of %s succeeded", pause.kind, receipt.endpoint)

    async def refuse(self, refusal: Refusal) -> None:
        if refusal.endpoint == USAGE_ENDPOINT:
            return  # asking when a cap resets is not billable work: its refusal pauses nothing (and recurses not)
        now = int(refusal.at)
        until: float | None = None
        if refusal.reason == "cap" and self.cap_reset is not None:
            until = await self.cap_reset(refusal.at)
        self._probing.discard(refusal.pauses)
        quiet = _quiet(self.engine)
        quiet.forget()
        quiet.busy += 1  # until the pause is committed, every admit reads the table
        try:
            async with transaction(self.engine) as conn:
                new = await pause_store.start_pause(
                    conn,
                    kind=refusal.pauses,
                    reason=refusal.reason,
                    detail=refusal.detail,
                    now=now,
                    until=None if until is None else int(until),
                )
        finally:
            quiet.busy -= 1
            quiet.forget()
        if new:
            UPSTREAM_PAUSES.labels(refusal.pauses, "paused").inc()
            log.warning("upstream: %s requests paused (%s on %s: %s) until %s", refusal.pauses, refusal.reason,
                        refusal.endpoint, refusal.detail, _when(until))  # fmt: skip
