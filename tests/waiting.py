"""Waiting, in real time, for something another process or thread does: a server coming up, a delivery arriving."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable


async def eventually(condition: Callable[[], bool | Awaitable[bool]], seconds: float = 60, every: float = 0.1) -> None:
    """Return once `condition()` (plain or awaitable) is true; fail the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = condition()
        if await answer if inspect.isawaitable(answer) else answer:
            return
        await asyncio.sleep(every)
    raise AssertionError(f"not true within {seconds} s")
