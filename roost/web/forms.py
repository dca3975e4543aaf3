"""The dashboard's form and query parsing, shared by the rooms: the posted form behind its CSRF check, the range
and interval of a page's query, the trackers a compare page names, and the owned tracker a path names."""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import FormData

from roost.core import analytics
from roost.core.text import unstorable
from roost.services import reports, tracker_views
from roost.services.runtime import Runtime
from roost.store.trackers import Tracker
from roost.web import data
from roost.web.session import Session, csrf_ok


def unstorable_field(form: FormData) -> str | None:
    """The first form field whose text no database can store (NUL, lone surrogates), or None."""
    for name, value in form.multi_items():
        if unstorable(name) is not None or (isinstance(value, str) and unstorable(value) is not None):
            return name
    return None


async def form_of(request: Request, session: Session) -> FormData | None:
    """The posted form, or None when its CSRF token is missing or wrong. Text no database can store is a 400."""
    form = await request.form()
    bad = unstorable_field(form)
    if bad is not None:
        raise data.InputError(bad, f"The field '{bad[:40]}' contains a character that cannot be stored.")
    given = form.get("csrf")
    return form if isinstance(given, str) and csrf_ok(session.csrf, given) else None


async def owned(rt: Runtime, session: Session, tracker_id: str) -> Tracker:
    """The account's tracker the path names; another account's is a 404 like an unknown one (web.errors)."""
    return await tracker_views.get(rt, session.account, tracker_id[:64])


def query_range(request: Request, now: int) -> data.RangeChoice:
    q = request.query_params
    return data.resolve_range(
        preset=q.get("range"), start=q.get("start"), end=q.get("end"), tz_name=q.get("tz"), now=now
    )


def query_interval(request: Request, choice: data.RangeChoice) -> analytics.Interval:
    raw = request.query_params.get("interval") or "auto"
    if raw == "auto":
        return data.auto_interval(choice.start, choice.end)
    try:
        return analytics.parse_interval(raw)
    except ValueError as exc:
        raise data.InputError("interval", f"Interval: {exc}.") from exc


def picked_trackers(request: Request) -> list[str]:
    """The trackers a compare page asks for: `trackers=a,b` or `trackers=a&trackers=b` (ticked boxes)."""
    q = request.query_params
    found = [i.strip()[:64] for v in q.getlist("trackers") + q.getlist("ids") for i in v.split(",")]
    return list(dict.fromkeys(i for i in found if i))[: reports.MAX_COMPARE + 1]
