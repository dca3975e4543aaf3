"""The dashboard's shared rendering: the Jinja2 templates with their filters, the page renderer (flash message and
the emulator banner), the error page and CSV downloads. Every room renders through here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from fastapi import Request
from markupsafe import Markup
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from roost.core import analytics
from roost.services.runtime import Runtime
from roost.web import data
from roost.web.session import FLASH_COOKIE, Session, read_flash

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


def _num(value: int | float | None) -> str:
    return "–" if value is None else f"{value:,}"


def _signed(value: int | float | None) -> str:
    return "–" if value is None else f"{value:+,}"


def _when(t: int | None, tz: Any = None) -> str:
    if t is None:
        return "–"
    return datetime.fromtimestamp(t, tz or analytics.parse_tz(None)).strftime("%Y-%m-%d %H:%M")


def _json(value: Any) -> Markup:
    # orjson escapes no "</", so do it here: the JSON goes inside a <script> element.
    return Markup(orjson.dumps(value).decode().replace("</", "<\\/"))


def _signed1(value: float | None) -> str:
    return "–" if value is None else f"{value:+,.1f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:+,.2f} %"


def _tone(value: float | None) -> str:
    """The CSS class of a change: up, down or flat."""
    return "" if value is None else "up" if value > 0 else "down" if value < 0 else "flat"


templates.env.filters.update(
    num=_num,
    signed=_signed,
    signed1=_signed1,
    pct=_pct,
    tone=_tone,
    when=_when,
    tojs=_json,
    ago=data.ago,
    label=data.period_label,
    moment=data.when_label,
)


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    rt: Runtime = request.app.state.runtime
    message = read_flash(request)
    items: dict[str, Any] | None = None
    if message and message.startswith("{"):
        try:
            items = orjson.loads(message)
        except orjson.JSONDecodeError:
            items = None
    response = templates.TemplateResponse(
        request,
        name,
        {
            "simulated": rt.settings.uses_embedded_emulator,
            "flash": None if items is not None else message,
            "flash_items": items,
            **context,
        },
        status_code=status,
    )
    if message:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def error_page(request: Request, session: Session | None, status: int, message: str) -> Response:
    return render(request, "error.html", {"session": session, "message": message}, status)


def csv_download(filename: str, text: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
