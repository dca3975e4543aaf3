"""api.turns.LaneShare: lane requests are metered per loop turn only while another request is in flight, in
arrival order, and every one of them is served."""

from __future__ import annotations

import asyncio

from starlette.types import Message, Receive, Scope, Send

from roost.api.turns import LaneShare


def _scope(method: str, path: str) -> Scope:
    return {"type": "http", "method": method, "path": path, "headers": [], "query_string": b""}


async def _receive() -> Message:
    return {"type": "http.request", "body": b""}


async def _send(_message: Message) -> None:
    return None


class _App:
    """Serves a lane request at once (as the lane does: no await); holds a POST until `release` is set."""

    def __init__(self) -> None:
        self.served: list[str] = []
        self.release = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "POST":
            await self.release.wait()
        self.served.append(scope["path"])


async def _turns(n: int) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_the_lane_is_untouched_when_nothing_else_runs() -> None:
    app = _App()
    share = LaneShare(app, per_turn=2)
    await asyncio.gather(*(share(_scope("GET", f"/user-trackers/{k}/stats"), _receive, _send) for k in range(10)))
    assert len(app.served) == 10


async def test_lane_requests_are_metered_per_turn_while_a_write_runs() -> None:
    app = _App()
    share = LaneShare(app, per_turn=2)
    write = asyncio.create_task(share(_scope("POST", "/user-trackers/multi"), _receive, _send))
    await _turns(1)  # the write is in flight
    reads = [asyncio.create_task(share(_scope("GET", f"/user-trackers/{k}/stats"), _receive, _send)) for k in range(10)]
    await _turns(1)
    assert len(app.served) == 2  # the first turn's budget
    await _turns(2)
    assert 2 < len(app.served) < 10  # more each turn, not all at once
    await _turns(20)
    assert app.served == [f"/user-trackers/{k}/stats" for k in range(10)]  # all of them, in arrival order
    assert not write.done()
    app.release.set()
    await write
    await asyncio.gather(*reads)


async def test_waiting_lane_requests_go_in_together_when_the_write_ends() -> None:
    app = _App()
    share = LaneShare(app, per_turn=1)
    write = asyncio.create_task(share(_scope("POST", "/user-trackers/multi"), _receive, _send))
    await _turns(1)
    reads = [asyncio.create_task(share(_scope("GET", f"/user-trackers/{k}/stats"), _receive, _send)) for k in range(6)]
    await _turns(1)
    assert len(app.served) == 1
    app.release.set()
    await write
    await _turns(3)
    assert len(app.served) == 7  # the write and every waiting read
    await asyncio.gather(*reads)
    other = LaneShare(app)
    await other(_scope("GET", "/healthz"), _receive, _send)  # not a lane candidate: counted, never metered
    assert app.served[-1] == "/healthz"
