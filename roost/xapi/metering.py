"""How the X client reports to its meter: every successful answer's billable resources, every cap or credit
refusal, and a question before each request (is its kind paused?).

X bills per resource returned (a user, a post, including those expanded into `includes`), once per UTC day. The
client knows what each answer held; only the database can know what was already charged today and what is paused
across processes. So the client calls a `Meter` it is given (roost.collector.meter.StoreMeter, wired in by the
services layer) and never touches the store.

What a request is for (Roost's spending kinds) rides along in a context variable set by whoever starts the work
(`billed_as("backfills")`), so the many call paths into the client need no extra argument; tasks started inside
inherit it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

from roost.core.metering import Purpose, Receipt, Refusal

_PURPOSE: ContextVar[Purpose] = ContextVar("roost_x_purpose", default="lookups")


def current_purpose() -> Purpose:
    return _PURPOSE.get()


@contextmanager
def billed_as(purpose: Purpose) -> Iterator[None]:
    """Requests sent inside this block (and tasks it starts) are metered under `purpose`."""
    token = _PURPOSE.set(purpose)
    try:
        yield
    finally:
        _PURPOSE.reset(token)


class Meter(Protocol):
    async def admit(self, endpoint: str, purpose: Purpose) -> None:
        """Raise XApiPaused when this request must not be sent (its kind is paused and no probe is due)."""

    async def charge(self, receipt: Receipt) -> None:
        """Record what a successful answer returned; a success also ends a pause it probed."""

    async def refuse(self, refusal: Refusal) -> None:
        """Record a cap or credit refusal (pauses the kind it names)."""
