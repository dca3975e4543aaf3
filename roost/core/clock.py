"""Clocks shared by the collector, the emulator and the tests.

Everything that reads the time or waits takes a `Clock`, so a test can simulate a week of hourly work in
seconds: `VirtualClock.sleep` jumps the clock forward instead of waiting.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Unix time in seconds."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class VirtualClock:
    """A clock that only moves when told to, or when somebody sleeps on it.

    With `autojump` (the default) `sleep(s)` moves the clock to at least `now + s` and returns at once.
    Concurrent sleepers overlap rather than add up: the clock ends at the latest deadline, as real time would.
    Without `autojump`, sleepers wait until `advance`/`set` moves the clock past their deadline.
    """

    def __init__(self, start: float, *, autojump: bool = True) -> None:
        self._now = float(start)
        self.autojump = autojump
        self._waiters: list[tuple[float, asyncio.Future[None]]] = []

    def now(self) -> float:
        return self._now

    def set(self, when: float) -> None:
        if when < self._now:
            raise ValueError("a virtual clock never goes backwards")
        self._now = float(when)
        self._wake()

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("cannot advance by a negative amount")
        self.set(self._now + seconds)

    async def sleep(self, seconds: float) -> None:
        deadline = self._now + max(0.0, seconds)
        if self.autojump:
            if deadline > self._now:
                self.set(deadline)
            await asyncio.sleep(0)
            return
        if deadline <= self._now:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((deadline, future))
        await future

    def _wake(self) -> None:
        still: list[tuple[float, asyncio.Future[None]]] = []
        for deadline, future in self._waiters:
            if deadline <= self._now:
                if not future.done():
                    future.set_result(None)
            else:
                still.append((deadline, future))
        self._waiters = still


class ScaledClock:
    """Real time sped up by `speed` from `start` (for demos: `roost xsim --speed 60` makes an hour a minute)."""

    def __init__(self, speed: float, start: float | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._real0 = time.time()
        self._start = self._real0 if start is None else start

    def now(self) -> float:
        return self._start + (time.time() - self._real0) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)


async def sleep_unless_stopped(clock: Clock, seconds: float, stop: asyncio.Event, *wake: asyncio.Event) -> bool:
    """Sleep `seconds` on `clock`, waking at once when `stop` (or any `wake` event) is set; True if woken by
    `stop`. Every long-running loop (the collector, alert delivery, scheduled backups) waits this way, so SIGTERM
    never waits out a sleep."""
    sleeper = asyncio.ensure_future(_sleep_until(clock, clock.now() + max(0.0, seconds)))
    waiters = [asyncio.ensure_future(event.wait()) for event in (stop, *wake)]
    try:
        await asyncio.wait({sleeper, *waiters}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sleeper, *waiters):
            task.cancel()
    return stop.is_set()


async def _sleep_until(clock: Clock, deadline: float) -> None:
    """Sleep until a moment fixed when the sleep was asked for. The task starts a loop turn later, and on a shared
    virtual clock (two collectors in `roost simulate`) another sleeper may have moved time meanwhile: a span
    counted from then would add to that move instead of overlapping it, and once skipped a whole bucket."""
    await clock.sleep(max(0.0, deadline - clock.now()))
