"""A short-lived, in-process cache of resolved bearer tokens, so a hot read does not look its token up in the
database on every request.

The bound, stated once: a cached token is trusted for at most `TTL` seconds of the Runtime's clock after it was
read from the database, and never past the token's own expiry (checked on every hit, so expiry is exact).
Revocations made through this process's services call `forget()`, which empties the cache at once and refuses
the answers of lookups that were on their way (`generation`); a revocation made by another process (`roost keys
revoke`, another worker of `roost serve --workers N`) is seen within `TTL` seconds. Only successful lookups are
cached: an unknown token always reaches the database.

Entries are keyed by database URL and the token's SHA-256 (the plaintext is never kept). Each `Runtime` owns one
cache (`rt.tokens`), with the lookups in flight that requests with the same token share (`lookups`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from roost.store.accounts import Account

TTL = 5.0  # seconds a resolved token is trusted without asking the database again
MAX_ENTRIES = 10_000  # a full cache is emptied (cheap, and bounded memory whatever the callers do)


@dataclass(frozen=True, slots=True)
class _Entry:
    account: Account
    expires_at: int | None  # the token's own expiry (unix seconds), None for a key that never expires
    read_at: float  # when it was read from the database, on the Runtime's clock


class TokenCache:
    def __init__(self, *, ttl: float = TTL, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[tuple[str, str], _Entry] = {}
        self.generation = 0  # moved by forget(): a lookup that began before it must not be cached
        # Lookups in flight, by event loop, database and token digest (services.accounts shares them).
        self.lookups: dict[tuple[asyncio.AbstractEventLoop, str, str], Any] = {}

    def get(self, database: str, digest: str, now: float) -> Account | None:
        """The cached account for this token, or None when absent, older than the TTL, or the token expired."""
        key = (database, digest)
        entry = self._entries.get(key)
        if entry is None:
            return None
        if not entry.read_at <= now < entry.read_at + self.ttl or (
            entry.expires_at is not None and entry.expires_at <= int(now)
        ):
            self._entries.pop(key, None)
            return None
        return entry.account

    def put(
        self, database: str, digest: str, *, account: Account, expires_at: int | None, now: float, generation: int
    ) -> None:
        """Cache a lookup that began when `generation` was current (refused if a revocation came since)."""
        if generation != self.generation:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[(database, digest)] = _Entry(account, expires_at, now)

    def forget(self) -> None:
        """Drop every entry: call after any revocation (or any change to who a token belongs to)."""
        self._entries.clear()
        self.generation += 1
