"""api.fast.FastLane's turns: lane requests are metered per loop turn only while another request is in flight, in
arrival order, and every one of them is served; what is a lane request is `parse_stats`'s one rule."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from starlette.types import Message, Receive, Scope, Send

from roost.api.fast import FastLane, StatsQuery
from roost.services.runtime import Runtime


def _scope(method: str, path: str) -> Scope:
    """A request; a GET of a stats path is a well-formed lane request (a token and both dates)."""
    auth = [(b"authorization", b"Bearer rst_x")]
    app = SimpleNamespace(state=SimpleNamespace(runtime=None))
    return {
        "type": "http", "method": method, "path": path, "headers": auth, "query_string": b"startDate=1&endDate=2",
        "app": app,
    }  # fmt: skip


class LaneShare(FastLane):
    """The lane with its service call replaced: it records the request at once (as the lane answers, no await)."""

    def __init__(self, app: _App, *, per_turn: int = 2) -> None:
        super().__init__(app, per_turn=per_turn)
        self.recorded = app

    async def _stats(self, rt: Runtime, q: StatsQuery, scope: Scope, receive: Receive, send: Send) -> None:
        self.recorded.served.append(scope["path"])


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
    await other(_scope("GET", "/healthz"), _receive, _send)  # not a lane request: counted, never metered
    assert app.served[-1] == "/healthz"


async def test_stats_the_lane_passes_on_are_metered_as_other_requests() -> None:
    """A CSV or tag stats request is not the lane's: it runs as any other request and the lane gives way to it."""
    app = _App()
    share = LaneShare(app, per_turn=1)
    csv = _scope("POST", "/user-trackers/x/stats")  # held like a write: the app waits for `release`
    csv["query_string"] = b"startDate=1&endDate=2&format=csv"
    held = asyncio.create_task(share(csv, _receive, _send))
    await _turns(1)
    assert share.turns.others == 1
    reads = [asyncio.create_task(share(_scope("GET", f"/user-trackers/{k}/stats"), _receive, _send)) for k in range(4)]
    await _turns(1)
    assert len(app.served) == 1  # metered while the passed-on stats request runs
    app.release.set()
    await asyncio.gather(held, *reads)
    tag = _scope("GET", "/user-trackers/tags/t/stats")
    assert share.turns.others == 0
    await share(tag, _receive, _send)  # a tag's stats: passed on to the app, not served by the lane
    assert app.served[-1] == "/user-trackers/tags/t/stats"
