"""Rate-limit budgets: one per (token, endpoint), fed by the `x-rate-limit-*` headers.

X counts requests per 15-minute window that starts at the first call. The budget reserves a request before it
is sent, so concurrent requests never overspend, and takes the server's word (the headers) when it comes back.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from roost.core.clock import Clock

WINDOW_SECONDS = 900

# What X documents for app auth; the headers correct these after the first answer.
DEFAULT_LIMITS = {
    "GET /2/users": 300,
    "GET /2/users/by": 300,
    "GET /2/users/:id": 300,
    "GET /2/users/by/username/:username": 300,
    "GET /2/users/:id/tweets": 1500,
    "GET /2/tweets": 300,
}


@dataclass
class Window:
    limit: int
    remaining: int
    reset: float | None  # epoch seconds; None until a response tells us
    in_flight: int = 0


class Budget:
    """Budgets for a pool of tokens. `reserve` picks the token with the most room for an endpoint."""

    def __init__(self, tokens: list[str], clock: Clock, limits: dict[str, int] | None = None) -> None:
        if not tokens:
            raise ValueError("at least one token is needed")
        self.tokens = list(tokens)
        self.clock = clock
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self._windows: dict[tuple[str, str], Window] = {}

    def _window(self, token: str, endpoint: str) -> Window:
        key = (token, endpoint)
        window = self._windows.get(key)
        now = self.clock.now()
        if window is None:
            limit = self.limits.get(endpoint, 300)
            window = self._windows[key] = Window(limit=limit, remaining=limit, reset=None)
        elif window.reset is not None and now >= window.reset:
            # The window has rolled over: the full limit is back, minus what is still in flight in it.
            window.remaining = window.limit - window.in_flight
            window.reset = None
        return window

    def reserve(self, endpoint: str) -> str | None:
        """Take one request from the roomiest token's budget; None when every token is spent."""
        best: tuple[int, str] | None = None
        for token in self.tokens:
            window = self._window(token, endpoint)
            if window.remaining > 0 and (best is None or window.remaining > best[0]):
                best = (window.remaining, token)
        if best is None:
            return None
        window = self._windows[(best[1], endpoint)]
        window.remaining -= 1
        window.in_flight += 1
        return best[1]

    def next_reset(self, endpoint: str) -> float:
        """When some token's window for the endpoint resets (now + a full window if nobody told us yet)."""
        now = self.clock.now()
        resets = [self._window(t, endpoint).reset for t in self.tokens]
        known = [r for r in resets if r is not None]
        return min(known) if known else now + WINDOW_SECONDS

    def settle(self, token: str, endpoint: str, response: httpx.Response | None) -> None:
        """Close a reservation; read the server's view of the window from the response headers."""
        window = self._window(token, endpoint)
        window.in_flight = max(0, window.in_flight - 1)
        if response is None:
            return
        headers = response.headers
        try:
            limit = int(headers["x-rate-limit-limit"])
            remaining = int(headers["x-rate-limit-remaining"])
            reset = float(headers["x-rate-limit-reset"])
        except (KeyError, ValueError):
            return
        window.limit = limit
        if window.reset is None or reset > window.reset:
            window.reset = reset
            window.remaining = max(0, remaining - window.in_flight)
        elif reset == window.reset:
            # Answers can arrive out of order: the smallest remaining seen is the truest.
            window.remaining = max(0, min(window.remaining, remaining - window.in_flight))
        if response.status_code == 429 and remaining == 0:
            window.remaining = 0

    def exhaust(self, token: str, endpoint: str, until: float) -> None:
        """A 429 said the window is spent: believe it until `until`."""
        window = self._window(token, endpoint)
        window.remaining = 0
        window.reset = max(until, window.reset or until)
