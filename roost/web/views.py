"""The dashboard: server-rendered pages (Jinja2) over the same services as the API and the CLI.

Every form is POST with a CSRF token; bad input re-renders with a message, never a 500.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from roost.core import analytics, auth
from roost.core.text import unstorable
from roost.schemas import (
    GROWTH_CSV,
    STATS_CSV,
    ActivityDocument,
    ActivityPage,
    Pagination,
    csv_text,
    growth_csv_row,
    stats_csv_rows,
)
from roost.services import accounts as account_service
from roost.services import reports
from roost.services import tags as tag_service
from roost.services import trackers as tracker_service
from roost.services.errors import ServiceError, TooMany
from roost.services.runtime import Runtime
from roost.store.trackers import Tracker
from roost.web import actions, cost, data
from roost.web.session import (
    FLASH_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    OptionalSessionDep,
    RuntimeDep,
    Session,
    SessionDep,
    csrf_ok,
    new_login_csrf,
    read_flash,
    set_cookie,
)

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(prefix="/dashboard", include_in_schema=False)


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


# --- login -------------------------------------------------------------------------------------------------------


@router.get("/login")
async def login_page(request: Request, session: OptionalSessionDep, error: str | None = None) -> Response:
    if session is not None:
        return RedirectResponse("/dashboard", 303)
    return _login_form(request, error)


def _login_form(request: Request, error: str | None, status: int = 200, wait: int | None = None) -> Response:
    token = new_login_csrf()
    context = {"session": None, "csrf": token, "error": error, "wait": wait}
    response = render(request, "login.html", context, status)
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token, max_age=3600)
    if wait is not None:
        response.headers["Retry-After"] = str(wait)
    return response


@router.post("/login")
async def login(request: Request, rt: RuntimeDep) -> Response:
    form = await request.form()
    email, password, given = form.get("email"), form.get("password"), form.get("csrf")
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not isinstance(given, str) or not expected or not csrf_ok(expected, given):
        return RedirectResponse("/dashboard/login?error=expired", 303)
    if not isinstance(email, str) or not isinstance(password, str) or not email.strip() or not password:
        return RedirectResponse("/dashboard/login?error=missing", 303)
    if unstorable_field(form) is not None:
        return _login_form(request, "unstorable", 400)
    address = request.client.host if request.client else None
    try:
        issued = await account_service.log_in(rt, email=email, password=password, address=address)
    except TooMany as exc:
        return _login_form(request, "throttled", 429, exc.retry_after)
    except ServiceError:
        return RedirectResponse("/dashboard/login?error=wrong", 303)
    response = RedirectResponse("/dashboard", 303)
    set_cookie(response, request, SESSION_COOKIE, issued.token, max_age=auth.LOGIN_TTL)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request, rt: RuntimeDep) -> Response:
    """Always ends the cookie's session, CSRF value or not: a forged logout can do no harm, while keeping the
    token alive after the cookie is cleared would leave a session the user believes is gone."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await account_service.log_out(rt, token)
    response = RedirectResponse("/dashboard/login", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- trackers ----------------------------------------------------------------------------------------------------


@router.get("")
async def trackers_page(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    every = [data.tracker_row(summary) for summary in await tracker_service.summaries(rt, session.account)]
    show_stopped = request.query_params.get("show") == "all"
    rows = [r for r in every if show_stopped or r.view.tracker.status == "active"]
    tags = await tag_service.every(rt, session.account)
    balance = await account_service.balance(rt, session.account)
    aliases = {r.view.tracker.id: "@" + r.view.username for r in every}
    updated = max((r.view.last_snapshot.updated_at for r in every if r.view.last_snapshot), default=None)
    return render(
        request,
        "trackers.html",
        {
            "session": session,
            "rows": rows,
            "tags": tags,
            "balance": balance,
            "now": rt.now(),
            "show_stopped": show_stopped,
            "stopped_count": sum(1 for r in every if r.view.tracker.status != "active"),
            "aliases": aliases,
            "updated": updated,
            "utc": analytics.parse_tz(None),
            "add_cost": cost.add_cost(rt),
        },
    )


@router.post("/trackers")
async def trackers_post(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    form = await form_of(request, session)
    if form is None:
        return actions.back(request, "/dashboard", "The form had expired; please try again.")
    return await actions.dispatch(request, rt, session, form)


async def _owned(rt: Runtime, session: Session, tracker_id: str) -> Tracker | None:
    try:
        return await tracker_service.get(rt, session.account, tracker_id[:64])
    except ServiceError:
        return None


def _range(request: Request, now: int) -> data.RangeChoice:
    q = request.query_params
    return data.resolve_range(
        preset=q.get("range"), start=q.get("start"), end=q.get("end"), tz_name=q.get("tz"), now=now
    )


def _interval(request: Request, choice: data.RangeChoice) -> analytics.Interval:
    raw = request.query_params.get("interval") or "auto"
    if raw == "auto":
        return data.auto_interval(choice.start, choice.end)
    try:
        return analytics.parse_interval(raw)
    except ValueError as exc:
        raise data.InputError("interval", f"Interval: {exc}.") from exc


async def _tracker_context(
    request: Request, rt: Runtime, session: Session, tracker_id: str
) -> dict[str, Any] | Response:
    """What the tracker page and its printable report show: one range report and one post report."""
    tracker = await _owned(rt, session, tracker_id)
    if tracker is None:
        return error_page(request, session, 404, "No such tracker.")
    now = rt.now()
    try:
        choice = _range(request, now)
        period = _interval(request, choice)
        reports.check_period_count(choice.start, choice.end, period)
    except data.InputError as exc:
        return error_page(request, session, 400, str(exc))
    except ServiceError as exc:
        return error_page(request, session, 400, exc.message)
    report = await reports.range_report(rt, tracker, start=choice.start, end=choice.end, interval=period, tz=choice.tz)
    view = await tracker_service.view(rt, session.account, tracker)
    last = view.last_snapshot if view else None
    posted = await reports.post_report(
        rt, tracker, start=choice.start, end=choice.end, tz=choice.tz, followers=last.followers if last else None
    )
    first = report.points[0].bucket if report.points else None
    activity_url = f"/dashboard/trackers/{tracker.id}/activity.json?{request.url.query}"
    return {
        "session": session,
        "tracker": tracker,
        "view": view,
        "profile": data.profile(view, pictures=not rt.settings.uses_embedded_emulator),
        "choice": choice,
        "interval": period,
        "presets": data.PRESETS,
        "growth": report.growth,
        "rows": data.with_data(report.growth.rows),
        "totals": report.totals,
        "windows": report.windows,
        "posts": posted,
        "weekdays": data.WEEKDAYS,
        "tracked_for": (tracker.stopped_at or now) - tracker.created_at,
        "first_point": first,
        "chart": data.chart_payload(report.points, report.growth.glitches),
        "page_data": {
            "kind": "tracker",
            "tz": choice.tz.key,
            "chart": data.chart_payload(report.points, report.growth.glitches),
            "activity": activity_url,
        },
        "query": request.url.query,
        "now": now,
    }


@router.get("/trackers/{tracker_id}")
async def tracker_page(request: Request, rt: RuntimeDep, session: SessionDep, tracker_id: str) -> Response:
    context = await _tracker_context(request, rt, session, tracker_id)
    if isinstance(context, Response):
        return context
    return render(request, "tracker.html", context)


@router.get("/trackers/{tracker_id}/report")
async def tracker_report(request: Request, rt: RuntimeDep, session: SessionDep, tracker_id: str) -> Response:
    """A printable one-page report of the range: profile, figures, charts, top posts and best times."""
    context = await _tracker_context(request, rt, session, tracker_id)
    if isinstance(context, Response):
        return context
    return render(request, "report.html", context)


def _csv(filename: str, text: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/trackers/{tracker_id}/export.csv")
async def tracker_csv(request: Request, rt: RuntimeDep, session: SessionDep, tracker_id: str) -> Response:
    """The range as CSV: every snapshot (kind=snapshots, like stats?isTimeline=true) or the growth rows."""
    tracker = await _owned(rt, session, tracker_id)
    if tracker is None:
        return error_page(request, session, 404, "No such tracker.")
    try:
        choice = _range(request, rt.now())
        period = _interval(request, choice)
    except data.InputError as exc:
        return error_page(request, session, 400, str(exc))
    points = await tracker_service.series(rt, tracker, start=choice.start, end=choice.end)
    zone = choice.tz
    if request.query_params.get("kind") == "growth":
        g = analytics.growth(points, start=choice.start, end=choice.end, interval=period, tz=zone)
        rows = [data.with_date(growth_csv_row(r), r.start, zone) for r in data.with_data(g.rows)]
        return _csv(f"growth-{tracker.alias}.csv", csv_text(data.dated(GROWTH_CSV, zone), rows))
    rows = [data.with_date(row, p.bucket, zone) for row, p in zip(stats_csv_rows(points), points, strict=True)]
    return _csv(f"stats-{tracker.alias}.csv", csv_text(data.dated(STATS_CSV, zone), rows))


@router.get("/trackers/{tracker_id}/activity.json")
async def tracker_activity(request: Request, rt: RuntimeDep, session: SessionDep, tracker_id: str) -> Response:
    """Posting activity for the page's range: the API's `/activity` document."""
    tracker = await _owned(rt, session, tracker_id)
    if tracker is None:
        return Response(b'{"available": false}', 404, media_type="application/json")
    try:
        choice = _range(request, rt.now())
        period = _interval(request, choice)
        found = await reports.account_activity(
            rt, tracker, start=choice.start, end=choice.end, interval=period, tz=choice.tz
        )
    except data.InputError as exc:
        return Response(orjson.dumps({"available": False, "error": str(exc)}), 400, media_type="application/json")
    except ServiceError as exc:
        return Response(orjson.dumps({"available": False, "error": exc.message}), 400, media_type="application/json")
    total = len(found.rows)
    doc = ActivityPage(
        pagination=Pagination(offset=0, limit=total, total=total, nextResults=None),
        data=[ActivityDocument.of(r) for r in found.rows],
        interval=found.periods.interval,
        tz=found.periods.tz.key,
        startDate=found.window[0] if found.window else None,
        endDate=found.window[1] if found.window else None,
        totals=ActivityDocument.of(found.total),
    )
    return Response(orjson.dumps(doc.dump()), media_type="application/json")


# --- compare -----------------------------------------------------------------------------------------------------


def _picked(request: Request) -> list[str]:
    """The trackers a compare page asks for: `trackers=a,b` or `trackers=a&trackers=b` (ticked boxes)."""
    q = request.query_params
    found = [i.strip()[:64] for v in q.getlist("trackers") + q.getlist("ids") for i in v.split(",")]
    return list(dict.fromkeys(i for i in found if i))[: reports.MAX_COMPARE + 1]


@router.get("/compare")
async def compare_page(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    tags = await tag_service.every(rt, session.account)
    everyone = await tracker_service.every(rt, session.account)
    q = request.query_params
    tag, listed = q.get("tag", "") or None, _picked(request)
    results: list[tuple[Tracker, analytics.Growth]] = []
    try:
        choice = _range(request, rt.now())
        period = _interval(request, choice)
        if tag or listed:
            _, results = await reports.compare(
                rt,
                session.account,
                tracker_ids=None if tag else listed,
                tag=tag,
                start=choice.start,
                end=choice.end,
                interval=period,
                tz=choice.tz.key,
            )
    except data.InputError as exc:
        return error_page(request, session, 400, str(exc))
    except ServiceError as exc:
        return error_page(request, session, 400, exc.message)
    metric = q.get("metric", "followers")
    if metric not in analytics.METRICS:
        return error_page(request, session, 400, f"Metric must be one of {', '.join(analytics.METRICS)}.")
    mode = q.get("mode", "absolute")
    if mode not in data.COMPARE_MODES:
        mode = "absolute"
    chart = data.compare_chart(results, metric)
    picked = {t.id for t, _ in results}
    return render(
        request,
        "compare.html",
        {
            "session": session,
            "tags": tags,
            "trackers": everyone,
            "picked": picked,
            "choice": choice,
            "interval": period,
            "presets": data.PRESETS,
            "results": results,
            "metric": metric,
            "metrics": analytics.METRICS,
            "modes": data.COMPARE_MODES,
            "mode": mode,
            "chart": chart,
            "tag": q.get("tag", ""),
            "trackers_param": "" if tag else ",".join(listed),
            "page_data": {"kind": "compare", "tz": choice.tz.key, "chart": chart, "mode": mode},
        },
    )


# --- API keys ------------------------------------------------------------------------------------------------------


@router.get("/keys")
async def keys_page(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    return await _keys(request, rt, session)


async def _keys(
    request: Request, rt: Runtime, session: Session, *, created: str | None = None, error: str | None = None
) -> Response:
    keys = await account_service.own_keys(rt, session.account)
    now = rt.now()
    return render(
        request,
        "keys.html",
        {
            "session": session,
            "keys": keys,
            "created": created,
            "error": error,
            "now": now,
            "utc": analytics.parse_tz(None),
        },
        400 if error else 200,
    )


@router.post("/keys")
async def keys_post(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    """Create (the key is shown on this response only, never stored in plain) or revoke one of the account's keys."""
    form = await form_of(request, session)
    if form is None:
        return actions.back(request, "/dashboard/keys", "The form had expired; please try again.")
    action = form.get("action")
    try:
        if action == "create":
            name, days = form.get("name"), form.get("expires_days")
            expires = int(days) if isinstance(days, str) and days.strip().isdigit() else None
            plaintext, _ = await account_service.create_own_key(
                rt, session.account, name=name if isinstance(name, str) else "", expires_days=expires
            )
            return await _keys(request, rt, session, created=plaintext)
        if action == "revoke":
            raw = form.get("key")
            key_id = int(raw) if isinstance(raw, str) and raw.isdigit() else -1
            await account_service.revoke_own_key(rt, session.account, key_id)
            return actions.back(request, "/dashboard/keys", "Revoked the key: requests with it now get 401.")
    except ServiceError as exc:
        return await _keys(request, rt, session, error=exc.message)
    return actions.back(request, "/dashboard/keys", "Unknown action.")
