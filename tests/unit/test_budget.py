"""The rate-limit budget: reserve before sending, believe the headers, roll windows over in virtual time."""

from __future__ import annotations

import httpx
import pytest

from roost.core.clock import VirtualClock
from roost.xapi import XApiRateLimited, XClient
from roost.xapi.budget import WINDOW_SECONDS, Budget

EP = "GET /2/users"


def answer(status: int, limit: int, remaining: int, reset: float) -> httpx.Response:
    headers = {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(int(reset)),
    }
    return httpx.Response(status, headers=headers)


def test_reservations_never_exceed_the_limit() -> None:
    clock = VirtualClock(1_000_000)
    budget = Budget(["a"], clock, {EP: 3})
    assert [budget.reserve(EP) for _ in range(4)] == ["a", "a", "a", None]


def test_headers_correct_the_local_estimate() -> None:
    clock = VirtualClock(1_000_000)
    budget = Budget(["a"], clock, {EP: 300})
    token = budget.reserve(EP)
    assert token == "a"
    # Another process already used most of the window: the server says 2 remain.
    budget.settle("a", EP, answer(200, 300, 2, clock.now() + 900))
    assert budget.reserve(EP) == "a"
    assert budget.reserve(EP) == "a"
    assert budget.reserve(EP) is None
    assert budget.next_reset(EP) == clock.now() + 900


def test_in_flight_requests_are_not_counted_twice() -> None:
    clock = VirtualClock(1_000_000)
    budget = Budget(["a"], clock, {EP: 5})
    for _ in range(3):
        budget.reserve(EP)
    # The first answer comes back after 1 request was counted by the server; 2 more are in flight.
    budget.settle("a", EP, answer(200, 5, 4, clock.now() + 900))
    assert budget.reserve(EP) == "a"
    assert budget.reserve(EP) == "a"
    assert budget.reserve(EP) is None


def test_window_rolls_over_at_reset() -> None:
    clock = VirtualClock(1_000_000)
    budget = Budget(["a"], clock, {EP: 1})
    budget.reserve(EP)
    budget.settle("a", EP, answer(200, 1, 0, clock.now() + 900))
    assert budget.reserve(EP) is None
    clock.advance(899)
    assert budget.reserve(EP) is None
    clock.advance(1)
    assert budget.reserve(EP) == "a"


def test_pool_uses_the_roomiest_token_and_exhaust_is_believed() -> None:
    clock = VirtualClock(1_000_000)
    budget = Budget(["a", "b"], clock, {EP: 2})
    first, second = budget.reserve(EP), budget.reserve(EP)
    assert {first, second} == {"a", "b"}
    budget.settle("a", EP, answer(200, 2, 1, clock.now() + 900))
    budget.exhaust("a", EP, clock.now() + 900)
    assert budget.reserve(EP) == "b"
    assert budget.reserve(EP) is None


async def test_each_call_has_its_own_max_wait() -> None:
    """Two users of one client: a call that must not wait fails fast, while another call on the same client waits
    for the window, and neither changes the client's default."""
    clock = VirtualClock(1_000_000)
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.now())
        window = {"x-rate-limit-limit": "1", "x-rate-limit-remaining": "0"}
        return httpx.Response(
            200, json={"data": []}, headers={**window, "x-rate-limit-reset": str(int(clock.now()) + 900)}
        )

    client = XClient(
        base_url="http://x.test",
        tokens=["a"],
        clock=clock,
        transport=httpx.MockTransport(handler),
        limits={EP: 1},
    )
    async with client:
        await client.users_by_ids([1])  # spends the window
        with pytest.raises(XApiRateLimited):
            await client.users_by_ids([2], max_wait=0.0)
        await client.users_by_ids([3], max_wait=float("inf"))  # waits out the window (virtual time)
        assert client.max_wait == float("inf")
    assert len(sent) == 2 and sent[1] - sent[0] >= WINDOW_SECONDS
