"""Deterministic hashing for the world: the same inputs give the same numbers in every process and on every run.

Python's `hash()` is salted per process (PYTHONHASHSEED), so the world never uses it. Everything derives from
splitmix64 (Steele, Lea and Flood's finaliser), which is a handful of integer operations: a few hundred
nanoseconds in CPython, far cheaper than hashlib for the many small draws a post needs.
"""

from __future__ import annotations

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_INV64 = 1.0 / float(1 << 64)
_INV53 = 1.0 / float(1 << 53)
_INV16 = 1.0 / 65536.0


def sm(x: int) -> int:
    """One splitmix64 step: a bijective, well-avalanched 64-bit mix."""
    z = (x + GOLDEN) & MASK
    z = ((z ^ (z >> 30)) * _M1) & MASK
    z = ((z ^ (z >> 27)) * _M2) & MASK
    return z ^ (z >> 31)


def mix(seed: int, *values: int) -> int:
    """A 64-bit hash of `seed` and a sequence of integers (negative ones are taken modulo 2**64)."""
    h = sm(seed & MASK)
    for value in values:
        h = sm(h ^ (value & MASK))
    return h


def mix1(key: int, value: int) -> int:
    """`mix` specialised to an already mixed 64-bit key and one value: the hot-path draw."""
    return sm(key ^ (value & MASK))


def unit(seed: int, *values: int) -> float:
    """A uniform float in [0, 1) from the hash of the arguments (53 bits, so never exactly 1.0)."""
    return (mix(seed, *values) >> 11) * _INV53


def to_unit(h: int) -> float:
    """A 64-bit hash as a uniform float in [0, 1)."""
    return (h >> 11) * _INV53


def fold(text: str) -> int:
    """A string as a 64-bit integer (FNV-1a over UTF-8, then mixed), identical in every process."""
    h = 0xCBF29CE484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001B3) & MASK
    return sm(h)


class Draws:
    """A deterministic stream of numbers from one key: cheap successive draws for one post or profile."""

    __slots__ = ("_chunk", "_h", "_left", "_pool", "_room")

    def __init__(self, key: int) -> None:
        self._h = key & MASK
        self._pool = 0  # small draws share one 64-bit value: it is divided down until too little is left
        self._room = 1
        self._chunk = 0  # coarse draws take 16 bits at a time
        self._left = 0

    def bits(self) -> int:
        """The next 64-bit value."""
        self._h = (self._h + GOLDEN) & MASK
        z = self._h
        z = ((z ^ (z >> 30)) * _M1) & MASK
        z = ((z ^ (z >> 27)) * _M2) & MASK
        return z ^ (z >> 31)

    def unit(self) -> float:
        return (self.bits() >> 11) * _INV53

    def below(self, n: int) -> int:
        """An integer in [0, n) for small n; several draws share one 64-bit value (bias below 2**-16)."""
        if self._room < n << 16:
            self._pool = self.bits()
            self._room = 1 << 64
        pool = self._pool
        self._pool = pool // n
        self._room //= n
        return pool % n

    def between(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * self.unit()

    def coarse(self) -> float:
        """A float in [0, 1) with 16-bit resolution: four per 64-bit draw, for parameters that need no more."""
        if not self._left:
            self._chunk = self.bits()
            self._left = 4
        self._left -= 1
        value = self._chunk & 0xFFFF
        self._chunk >>= 16
        return value * (1.0 / 65536)

    def coarse_many(self, count: int) -> list[float]:
        """`count` floats in [0, 1) with 16-bit resolution, four per 64-bit draw (one call: cheap in bulk)."""
        out: list[float] = []
        while len(out) < count:
            h = self.bits()
            out.extend(
                ((h & 0xFFFF) * _INV16, (h >> 16 & 0xFFFF) * _INV16, (h >> 32 & 0xFFFF) * _INV16, (h >> 48) * _INV16)
            )
        del out[count:]
        return out

    def coarse_between(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * self.coarse()

    def choice(self, items: tuple[str, ...]) -> str:
        return items[self.bits() % len(items)]
