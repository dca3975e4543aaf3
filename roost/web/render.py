"""The dashboard's shared rendering: the Jinja2 templates with their filters, the page renderer (flash message and
the emulator banner), the error page and CSV downloads. Every room renders through here."""

from __future__ import annotations

import re
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
    """A moment in the one date style of every page ("30 Nov 2026, 11:00"), UTC unless a zone is given."""
    return data.when_label(t, tz or analytics.parse_tz(None))


def _json(value: Any) -> Markup:
    # orjson escapes no "</", so do it here: the JSON goes inside a <script> element.
    return Markup(orjson.dumps(value).decode().replace("</", "<\\/"))


def _unsigned_zero(text: str) -> str:
    """ "+0.0" and "-0.00 %" (a rounded tiny change) read as no change: no sign on a zero."""
    return text[1:] if text[:1] in "+-" and not any(c in "123456789" for c in text) else text


def _signed1(value: float | None) -> str:
    return "–" if value is None else _unsigned_zero(f"{value:+,.1f}")


def _pct(value: float | None) -> str:
    return "–" if value is None else _unsigned_zero(f"{value:+,.2f} %")


def _tone(value: float | None) -> str:
    """The CSS class of a change: up, down or flat."""
    return "" if value is None else "up" if value > 0 else "down" if value < 0 else "flat"


def _avg(value: float | None) -> str:
    """An average: whole from 100 up ("375"), one decimal below ("2.5")."""
    return "–" if value is None else f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


templates.env.filters.update(
    count=data.count,
    avg=_avg,
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
    day=data.day_label,
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
    building = rt.status.get("demo", "") if rt.status.get("demo", "").startswith("building") else ""
    progress = re.search(r"(\d+)/(\d+)", building)  # "building 12/30 days (...)": the banner's progress bar
    response = templates.TemplateResponse(
        request,
        name,
        {
            "simulated": rt.settings.uses_embedded_emulator,
            "building": building,
            "building_bar": (int(progress[1]), int(progress[2])) if progress else (0, 1),
            "upstream_notes": getattr(request.state, "upstream_notes", ()),
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
    """The problem, with a link back to the page asked for without its query (a bad date range is dropped, the
    page shows its default range) when that page exists, and to the trackers."""
    path = request.url.path
    retry = path if request.method == "GET" and status == 400 and path.startswith("/dashboard/") else None
    return render(request, "error.html", {"session": session, "message": message, "retry": retry}, status)


def csv_download(filename: str, text: str) -> Response:
    """A CSV file to save; the byte order mark makes spreadsheets (Excel) read it as UTF-8, names and zones intact."""
    return Response(
        "\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
