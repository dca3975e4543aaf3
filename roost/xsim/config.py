"""The emulator's settings: world seed, accepted tokens, rate limits and injected faults.

Endpoint keys are route templates ("GET /2/users/:id/tweets"), the same keys `roost.xapi.budget` uses, so a
limit configured here is the limit the client learns from the headers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from roost.config import XSIM_DEFAULT_TOKEN
from roost.xsim.billing import BillingSettings

USERS = "GET /2/users"
USERS_BY = "GET /2/users/by"
USER = "GET /2/users/:id"
USER_BY_USERNAME = "GET /2/users/by/username/:username"
TIMELINE = "GET /2/users/:id/tweets"
TWEETS = "GET /2/tweets"
USAGE = "GET /2/usage/tweets"
ENDPOINTS = (USERS, USERS_BY, USER, USER_BY_USERNAME, TIMELINE, TWEETS, USAGE)
# Endpoints that return billable resources; a post cap refuses only the post-returning ones.
BILLABLE = frozenset({USERS, USERS_BY, USER, USER_BY_USERNAME, TIMELINE, TWEETS})
POST_CAPPED = frozenset({TIMELINE, TWEETS})

# X's published app-auth limits per 15-minute window.
DEFAULT_LIMITS: dict[str, int] = {
    USERS: 300,
    USERS_BY: 300,
    USER: 300,
    USER_BY_USERNAME: 300,
    TIMELINE: 1500,
    TWEETS: 300,
    USAGE: 50,
}

# Short names accepted by `--limit NAME=N` and the admin API besides the full keys.
ENDPOINT_ALIASES: dict[str, str] = {
    "users": USERS,
    "users-by": USERS_BY,
    "user": USER,
    "user-by-username": USER_BY_USERNAME,
    "timeline": TIMELINE,
    "tweets": TWEETS,
    "usage": USAGE,
    **{key.removeprefix("GET "): key for key in ENDPOINTS},
    **{key: key for key in ENDPOINTS},
}

WINDOW_SECONDS = 900.0


def endpoint_key(name: str) -> str:
    """Resolve a full key or an alias; ValueError names the accepted spellings."""
    key = ENDPOINT_ALIASES.get(name.strip())
    if key is None:
        raise ValueError(f"unknown endpoint {name!r}; use one of: {', '.join(ENDPOINT_ALIASES)}")
    return key


def parse_limit(spec: str) -> tuple[str, int]:
    """`timeline=5` or `GET /2/users=10` -> (endpoint key, limit)."""
    name, sep, value = spec.rpartition("=")
    if not sep:
        raise ValueError(f"expected ENDPOINT=N, got {spec!r}")
    limit = int(value)
    if limit < 0:
        raise ValueError("a limit cannot be negative")
    return endpoint_key(name), limit


_SHARES = ("error_rate", "hidden_429_rate", "slow_rate", "drop_rate")


@dataclass
class Faults:
    """Shares (0..1) of requests that fail on purpose, drawn deterministically from `seed`.

    The app reads these on every request, so tests may change them in place between calls.
    """

    error_rate: float = 0.0  # 503 Service Unavailable
    hidden_429_rate: float = 0.0  # 429 while x-rate-limit-remaining > 0 (X's undocumented per-second limit)
    slow_rate: float = 0.0  # answers delayed by `slow_seconds` on the emulator's clock
    slow_seconds: float = 5.0
    drop_rate: float = 0.0  # the connection breaks mid-response
    seed: int = 0

    def validate(self) -> None:
        for name in _SHARES:
            share = getattr(self, name)
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {share}")
        if self.slow_seconds < 0:
            raise ValueError("slow_seconds cannot be negative")

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (*_SHARES, "slow_seconds", "seed")}

    def update(self, changes: dict[str, Any]) -> None:
        """Apply `changes` in place, all or nothing; unknown keys or bad values raise ValueError."""
        current = self.as_dict()
        unknown = set(changes) - set(current)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        merged = {**current, **changes}
        try:
            candidate = Faults(
                **{name: float(merged[name]) for name in (*_SHARES, "slow_seconds")}, seed=int(merged["seed"])
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"bad fault setting: {exc}") from exc
        candidate.validate()
        for name, value in candidate.as_dict().items():
            setattr(self, name, value)


@dataclass
class XsimConfig:
    seed: int = 2024
    tokens: frozenset[str] = frozenset({XSIM_DEFAULT_TOKEN})
    accept_any_token: bool = False
    limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    window_seconds: float = WINDOW_SECONDS
    faults: Faults = field(default_factory=Faults)
    billing: BillingSettings = field(default_factory=BillingSettings)

    def __post_init__(self) -> None:
        self.limits = {**DEFAULT_LIMITS, **{endpoint_key(k): int(v) for k, v in self.limits.items()}}
        if self.window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self.faults.validate()
        self.billing.validate()
