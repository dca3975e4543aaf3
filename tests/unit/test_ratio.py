"""The followers/following ratio's fast path gives exactly what `round(ratio, 2)` gives, halves included."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from roost.core.domain import followers_following


def reference(followers: int, following: int) -> float:
    return round(followers / max(following, 1), 2)


@given(st.integers(0, 10**13), st.integers(-5, 10**10))
def test_equals_round_to_two_decimals(followers: int, following: int) -> None:
    assert followers_following(followers, following) == reference(followers, following)


def test_halves_and_extremes() -> None:
    # exact halves of a hundredth (x.xx5 with a power-of-two denominator) and products near a half
    cases = [(k * d + d // 2, d) for d in range(2, 2000, 2) for k in (0, 1, 7, 123, 99_999)]
    cases += [(int(d * (k + 0.005)), d) for d in (8, 16, 200, 400, 1000, 8000) for k in range(3000)]
    cases += [(f, g) for f in range(300) for g in range(300)]
    cases += [(10**12, 1), (2**53, 1), (2**60, 3), (0, 0), (7, 0)]
    assert [followers_following(f, g) for f, g in cases] == [reference(f, g) for f, g in cases]
