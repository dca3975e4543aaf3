"""Fair turns on the event loop between the lean stats lane and every other request.

Why: the event loop runs each ready callback once per turn, first come first served. A stats request of the lean
lane (`api/fast.py`) is served in one or two turns; a tracker creation or a login needs tens of them (each
database statement on SQLite is a hop to aiosqlite's thread and back, two turns; the upstream call a few more).
Under a flood of lane requests every turn serves the whole flood, so a request that needs 30 turns waits 30 times
for it: measured with 32 connections on the stats, tracker creation fell from 141/s to 3.7/s while the stats
lost nothing (bench/bench_api.py). That is starvation by turn count, not a lack of CPU.

So while any other request is in flight, the lane admits at most `per_turn` requests per loop turn; the others
wait, holding nothing, in arrival order, and are let in over the next turns. Turns stay short, the other requests
advance at the loop's pace, and the lane keeps every bit of CPU they leave. With no other request in flight the
lane is not touched (one counter read per request). Nothing is refused and nothing times out here.
"""

from __future__ import annotations

import asyncio
from collections import deque

from starlette.types import ASGIApp, Receive, Scope, Send

LANE_PER_TURN = 2  # lane requests let in per loop turn while another request is in flight (bench_api: 2 kept
# creations near a fifth of their alone rate under the flood with the stats at ~0.7 of theirs; 4: ~0.12 and ~0.9)


def _lane_candidate(scope: Scope) -> bool:
    """A request the lean lane may serve: the stats route by GET (the lane itself decides the rest)."""
    return scope["method"] == "GET" and str(scope["path"]).endswith("/stats")


class LaneShare:
    """ASGI middleware outside FastLane: counts the other requests in flight and meters the lane's by turns."""

    def __init__(self, app: ASGIApp, *, per_turn: int = LANE_PER_TURN) -> None:
        self.app = app
        self.per_turn = per_turn
        self._others = 0  # requests in flight that are not lane candidates
        self._budget = per_turn  # lane requests still let in this turn
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._turn_scheduled = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _lane_candidate(scope):
            if self._others or self._waiting:
                await self._admit()
            await self.app(scope, receive, send)
            return
        self._others += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self._others -= 1

    async def _admit(self) -> None:
        if self._budget > 0 and not self._waiting:
            self._budget -= 1
            self._next_turn_later()  # the budget comes back next turn
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        self._next_turn_later()
        await waiter

    def _next_turn_later(self) -> None:
        if not self._turn_scheduled:
            self._turn_scheduled = True
            asyncio.get_running_loop().call_soon(self._next_turn)

    def _next_turn(self) -> None:
        """Once per turn while lane requests are metered: refill the budget, let the first waiters in. Scheduled
        only after an admission, so an idle loop stays idle."""
        self._turn_scheduled = False
        budget = self.per_turn if self._others else len(self._waiting)
        while self._waiting and budget > 0:
            waiter = self._waiting.popleft()
            if not waiter.done():  # a cancelled request's place is skipped
                waiter.set_result(None)
                budget -= 1
        self._budget = max(budget, 0) if self._others else self.per_turn
        if self._waiting:
            self._next_turn_later()
