"""An httpx transport that runs the emulator in-process, with no sockets.

It wraps httpx.ASGITransport and turns the emulator's dropped-connection fault into httpx.RemoteProtocolError,
the error a real client sees when a server closes the socket mid-response.
"""

from __future__ import annotations

import httpx
from starlette.types import ASGIApp

from roost.xsim.faults import DroppedConnection


class XsimTransport(httpx.AsyncBaseTransport):
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._inner = httpx.ASGITransport(app=app, raise_app_exceptions=True)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except DroppedConnection as exc:
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body", request=request
            ) from exc

    async def aclose(self) -> None:
        await self._inner.aclose()
