"""JSON responses encoded with orjson. A subclass of Starlette's JSONResponse, so FastAPI documents the response
models of routes that use it (for any other response class it would describe every 200 as a string)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse as StarletteJSONResponse


class JSONResponse(StarletteJSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
