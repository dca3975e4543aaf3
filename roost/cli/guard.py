"""The HTTP server's own limits, before any request reaches the app: uvicorn's httptools protocol with a cap on the
request head's size and header count (431), a deadline for a slow head and a slow body (408), and uvicorn's own
cap on concurrent connections (503, `limit_concurrency`).

Why here: httptools buffers a header of any size (four connections sending 64 MB `Authorization` headers grew the
server by 600 MB and held every other request for 21 s) and waits forever for a half-sent head; the app's body
limit (roost.middleware) sees nothing until the head is complete. The answers are Tweet Binder's error body.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from roost.config import Settings


@dataclass(frozen=True, slots=True)
class Limits:
    head_bytes: int  # request line and headers together
    headers: int
    head_seconds: float  # from the connection (or the previous answer) to the end of the head
    body_seconds: float  # from the end of the head to the end of the body

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            head_bytes=settings.max_header_bytes,
            headers=settings.max_headers,
            head_seconds=settings.header_timeout,
            body_seconds=settings.body_timeout,
        )


def _answer(status: int, code: str, message: str) -> bytes:
    reason = HTTPStatus(status).phrase
    body = orjson.dumps({"statusCode": status, "error": reason, "message": message, "extra": {"code": code}})
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


LINGER_SECONDS = 1.0


class _Refused(Exception):
    """Raised from a parser callback to stop parsing this connection (uvicorn then calls send_400_response)."""


class GuardedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with `Limits`: the head is counted as it arrives (bytes and headers) and timed
    from the connection or the previous answer; the body is timed from the end of the head. Past a limit the
    connection gets its 4xx (when no answer has begun) and is closed; an idle connection is closed silently."""

    def __init__(self, *args: Any, limits: Limits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self.head_bytes = 0  # of the head being read; -1 from the end of a head to the end of its answer
        self.header_count = 0
        self.head_size = 0  # of the head parsed so far: its URL and headers
        self.refusal: str | None = None
        self.refused = False
        self.deadline: asyncio.TimerHandle | None = None

    def _arm(self, seconds: float, message: str) -> None:
        self._disarm()
        self.deadline = self.loop.call_later(seconds, self._late, message)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _late(self, message: str) -> None:
        self.deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle if self.head_bytes < 0 else None  # the request whose body is late, if any
        if cycle is not None:
            cycle.disconnected = True
            cycle.message_event.set()
        if self.head_bytes != 0 and (cycle is None or not cycle.response_started):
            self.refused = True
            self._close_after(_answer(408, "request_timeout", message))
        else:
            self.transport.close()

    def _await_head(self) -> None:
        self.head_bytes = 0
        seconds = self.limits.head_seconds
        self._arm(seconds, f"The request's headers did not arrive within {seconds:g} s.")

    def _too_large(self, message: str) -> None:
        self._disarm()
        if self.refused or self.transport.is_closing():
            return
        self.refused = True
        self._close_after(_answer(431, "headers_too_large", message))

    def _close_after(self, answer: bytes) -> None:
        """Write `answer`, end our side, stop reading, and close after a short linger: closing at once with unread
        bytes would reset the connection, and the client could lose the answer before reading it. Nothing more is
        read meanwhile (a client still sending fills its own buffers, not ours)."""
        self.transport.write(answer)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.transport.pause_reading()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return  # the rest of a read that was refused
        reading_head = self.head_bytes >= 0
        if reading_head:
            self.head_bytes += len(data)
        super().data_received(data)
        if self.head_bytes > self.limits.head_bytes:  # the head is still incomplete after all these bytes: stop
            self._too_large(f"The request's headers are larger than {self.limits.head_bytes} bytes.")

    def send_400_response(self, msg: str) -> None:
        if self.refusal is not None:
            self._too_large(self.refusal)
            return
        super().send_400_response(msg)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.header_count = 0
        self.head_size = 0

    def on_url(self, url: bytes) -> None:
        self.head_size += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_count += 1
        self.head_size += len(name) + len(value) + 4
        if self.header_count > self.limits.headers:
            self.refusal = f"The request has more than {self.limits.headers} headers."
            raise _Refused
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self.head_size > self.limits.head_bytes:  # a whole head in one read, but too large
            self.refusal = f"The request's headers are larger than {self.limits.head_bytes} bytes."
            raise _Refused
        self.head_bytes = -1
        seconds = self.limits.body_seconds
        self._arm(seconds, f"The request's body did not arrive within {seconds:g} s.")
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_head()  # the next request's head (uvicorn's keep-alive timeout may close first)


def protocol(settings: Settings) -> Any:
    """The protocol class uvicorn builds per connection, with the settings' limits bound (picklable, for workers)."""
    return functools.partial(GuardedHttpTools, limits=Limits.of(settings))
