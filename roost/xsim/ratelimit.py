"""Rate-limit windows per (bearer token, endpoint), as X keeps them for app auth.

A window opens with the first request and lasts `window_seconds` (900 on X); `x-rate-limit-reset` is its end in
whole epoch seconds, rounded up so a client that sleeps until then always finds the new window. Limits are read
from the config on every request, so the admin API (and tests) can change them live.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from roost.core.clock import Clock
from roost.xsim.config import DEFAULT_LIMITS, XsimConfig

_PRUNE_AT = 50_000


@dataclass(slots=True)
class Window:
    used: int
    reset: int


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        return {
            "x-rate-limit-limit": str(self.limit),
            "x-rate-limit-remaining": str(self.remaining),
            "x-rate-limit-reset": str(self.reset),
        }


class RateLimiter:
    def __init__(self, config: XsimConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._windows: dict[tuple[str, str], Window] = {}

    def _limit(self, endpoint: str) -> int:
        return self.config.limits.get(endpoint, DEFAULT_LIMITS.get(endpoint, 300))

    def _open(self, now: float) -> Window:
        return Window(0, math.ceil(now + self.config.window_seconds))

    def hit(self, token: str, endpoint: str) -> Verdict:
        """Count one request; refused (allowed=False) once the window's limit is spent."""
        now = self.clock.now()
        key = (token, endpoint)
        window = self._windows.get(key)
        if window is None or now >= window.reset:
            if len(self._windows) >= _PRUNE_AT:
                self._prune(now)
            window = self._windows[key] = self._open(now)
        limit = self._limit(endpoint)
        if window.used >= limit:
            return Verdict(False, limit, 0, window.reset)
        window.used += 1
        return Verdict(True, limit, limit - window.used, window.reset)

    def peek(self, token: str, endpoint: str) -> Verdict:
        """The window as it stands, without counting (for answers that cost nothing: 401, 404)."""
        now = self.clock.now()
        window = self._windows.get((token, endpoint))
        if window is None or now >= window.reset:
            window = self._open(now)
        limit = self._limit(endpoint)
        return Verdict(True, limit, max(0, limit - window.used), window.reset)

    def reset(self) -> None:
        self._windows.clear()

    def _prune(self, now: float) -> None:
        self._windows = {key: w for key, w in self._windows.items() if now < w.reset}
