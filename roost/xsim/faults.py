"""Deterministic fault injection: which requests fail, and how.

Request n of the sequence draws four independent uniforms from a counter-based generator (splitmix64 of
seed, n and the fault kind), so a run with the same seed and the same request order fails the same requests,
whatever the timing. The shares are read from the live `Faults` object on every draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from roost.xsim.config import Faults

FaultKind = Literal["drop", "error_503", "hidden_429"]
_MASK = (1 << 64) - 1


class DroppedConnection(Exception):
    """Raised by the app after a partial response: servers close the socket, XsimTransport raises
    httpx.RemoteProtocolError, so clients see a broken connection rather than an HTTP status."""


def splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def uniform(seed: int, n: int, kind: int) -> float:
    return splitmix64(splitmix64(splitmix64(seed & _MASK) ^ n) ^ kind) / 2.0**64


@dataclass(frozen=True, slots=True)
class Draw:
    kind: FaultKind | None  # the failure that replaces the answer, if any
    slow: bool  # answer only after `slow_seconds` on the emulator's clock


class FaultInjector:
    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.sequence = 0

    def restart(self) -> None:
        """Start the sequence over (the admin API does so when the settings change)."""
        self.sequence = 0

    def draw(self) -> Draw:
        f = self.faults
        n = self.sequence
        self.sequence += 1
        if not (f.drop_rate or f.error_rate or f.hidden_429_rate or f.slow_rate):
            return Draw(None, False)
        kind: FaultKind | None = None
        if uniform(f.seed, n, 1) < f.drop_rate:
            kind = "drop"
        elif uniform(f.seed, n, 2) < f.error_rate:
            kind = "error_503"
        elif uniform(f.seed, n, 3) < f.hidden_429_rate:
            kind = "hidden_429"
        return Draw(kind, uniform(f.seed, n, 4) < f.slow_rate)
