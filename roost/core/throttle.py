"""A sliding-window counter of attempts per key, in memory and pure (the caller passes the time, so tests run in
virtual time).

Used to throttle failed logins per email and per client address. An attempt is *reserved* before the slow work
(the password KDF) and *released* when it turns out to be a success, so concurrent attempts cannot slip past the
limit while they are all still running, and successful logins never count.

Memory is bounded: at most `max_keys` keys (the least recently used key is forgotten first), each holding at most
`limit` timestamps. State is per process: with several `roost serve` workers each keeps its own counts.
"""

from __future__ import annotations

from collections import OrderedDict, deque


class SlidingWindow:
    def __init__(self, *, limit: int, window: int, max_keys: int = 50_000) -> None:
        if limit < 1 or window < 1 or max_keys < 1:
            raise ValueError("limit, window and max_keys must be positive")
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._hits: OrderedDict[str, deque[int]] = OrderedDict()

    def _live(self, key: str, now: int) -> deque[int] | None:
        hits = self._hits.get(key)
        if hits is None:
            return None
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits

    def retry_after(self, key: str, now: int) -> int | None:
        """Seconds until one more attempt is allowed, or None when one is allowed now."""
        hits = self._live(key, now)
        if hits is None or len(hits) < self.limit:
            return None
        return max(1, hits[0] + self.window - now)

    def reserve(self, key: str, now: int) -> int | None:
        """Count an attempt now; when the key is already at its limit count nothing and return the seconds to wait
        (at least 1)."""
        wait = self.retry_after(key, now)
        if wait is not None:
            return wait
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
        else:
            self._hits.move_to_end(key)
        hits.append(now)
        return None

    def release(self, key: str, at: int) -> None:
        """Take back an attempt reserved at `at` (it succeeded, so it is not a failure)."""
        hits = self._hits.get(key)
        if hits is None:
            return
        try:
            hits.remove(at)
        except ValueError:
            return
        if not hits:
            del self._hits[key]

    def __len__(self) -> int:
        return len(self._hits)
