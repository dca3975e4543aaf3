"""The dashboard: server-rendered pages (Jinja2) over the same store and analytics as the API.

Pages read data directly (no HTTP round trip), except the posting-activity chart, which asks the JSON API's
`/user-trackers/{id}/activity` in-process when the app has that route, and says it is unavailable otherwise.
Every form is POST with a CSRF token; bad input re-renders with a message, never a 500.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from roost import analytics, auth
from roost.api.csvout import csv_response
from roost.api.deps import ServicesDep
from roost.api.routes.growth import CSV_HEADER, csv_row
from roost.store import accounts as account_store
from roost.store import tokens as token_store
from roost.store import trackers as tracker_store
from roost.store.db import write_transaction
from roost.store.trackers import Tracker
from roost.web import actions, data
from roost.web.session import (
    FLASH_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    LoginRequired,
    OptionalSessionDep,
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
STATS_HEADER = ["_id", "tweets", "followers", "following", "lists", "followersFollowing", "createdAt", "updatedAt"]


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


templates.env.filters.update(num=_num, signed=_signed, when=_when, tojs=_json)


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    services = request.app.state.services
    message = read_flash(request)
    response = templates.TemplateResponse(
        request,
        name,
        {"simulated": services.settings.uses_embedded_emulator, "flash": message, **context},
        status_code=status,
    )
    if message:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def error_page(request: Request, session: Session | None, status: int, message: str) -> Response:
    return render(request, "error.html", {"session": session, "message": message}, status)


async def form_of(request: Request, session: Session) -> FormData | None:
    """The posted form, or None when its CSRF token is missing or wrong."""
    form = await request.form()
    given = form.get("csrf")
    return form if isinstance(given, str) and csrf_ok(session.csrf, given) else None


# --- login -------------------------------------------------------------------------------------------------------


@router.get("/login")
async def login_page(request: Request, session: OptionalSessionDep, error: str | None = None) -> Response:
    if session is not None:
        return RedirectResponse("/dashboard", 303)
    token = new_login_csrf()
    response = render(request, "login.html", {"session": None, "csrf": token, "error": error})
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.post("/login")
async def login(request: Request, services: ServicesDep) -> Response:
    form = await request.form()
    email, password, given = form.get("email"), form.get("password"), form.get("csrf")
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not isinstance(given, str) or not expected or not csrf_ok(expected, given):
        return RedirectResponse("/dashboard/login?error=expired", 303)
    if not isinstance(email, str) or not isinstance(password, str) or not email.strip() or not password:
        return RedirectResponse("/dashboard/login?error=missing", 303)
    now = int(services.clock.now())
    async with write_transaction(services.engine) as conn:
        account = await account_store.get_account_by_email(conn, email=email[:320])
        hashed = account.password_hash if account else None
        if account is None or not auth.verify_password(hashed, password[:1024]):
            return RedirectResponse("/dashboard/login?error=wrong", 303)
        token, _ = await token_store.issue_login_token(conn, account_id=account.id, now=now)
    response = RedirectResponse("/dashboard", 303)
    set_cookie(response, request, SESSION_COOKIE, token, max_age=auth.LOGIN_TTL)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request, services: ServicesDep, session: SessionDep) -> Response:
    if await form_of(request, session) is not None:
        async with write_transaction(services.engine) as conn:
            await token_store.revoke_plaintext(conn, plaintext=session.token, now=int(services.clock.now()))
    response = RedirectResponse("/dashboard/login", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- trackers ----------------------------------------------------------------------------------------------------


@router.get("")
async def trackers_page(request: Request, services: ServicesDep, session: SessionDep) -> Response:
    now = int(services.clock.now())
    interval = services.settings.snapshot_interval
    rows = await data.tracker_rows(services.engine, account_id=session.account.id, interval=interval, now=now)
    tags = await data.account_tags(services.engine, account_id=session.account.id)
    async with services.engine.connect() as conn:
        balance = await account_store.get_balance(conn, account_id=session.account.id)
    return render(
        request,
        "trackers.html",
        {"session": session, "rows": rows, "tags": tags, "balance": balance, "now": now},
    )


@router.post("/trackers")
async def trackers_post(request: Request, services: ServicesDep, session: SessionDep) -> Response:
    form = await form_of(request, session)
    if form is None:
        return actions.back(request, "/dashboard", "The form had expired; please try again.")
    return await actions.dispatch(request, services, session, form)


async def _owned(services: Any, session: Session, tracker_id: str) -> Tracker | None:
    async with services.engine.connect() as conn:
        return await tracker_store.get_owned_tracker(conn, account_id=session.account.id, tracker_id=tracker_id[:64])


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


@router.get("/trackers/{tracker_id}")
async def tracker_page(request: Request, services: ServicesDep, session: SessionDep, tracker_id: str) -> Response:
    tracker = await _owned(services, session, tracker_id)
    if tracker is None:
        return error_page(request, session, 404, "No such tracker.")
    now = int(services.clock.now())
    try:
        choice = _range(request, now)
        period = _interval(request, choice)
        if analytics.count_periods(choice.start, choice.end, period) > 20_000:
            raise data.InputError("interval", "That range has too many periods for this interval.")
    except data.InputError as exc:
        return error_page(request, session, 400, str(exc))
    interval = services.settings.snapshot_interval
    points = await data.series(services.engine, tracker, interval=interval, start=choice.start, end=choice.end)
    growth = analytics.growth(points, start=choice.start, end=choice.end, interval=period, tz=choice.tz)
    recent_end = tracker.stopped_at or now
    recent = await data.series(
        services.engine, tracker, interval=interval, start=recent_end - data.DELTA_HISTORY, end=recent_end
    )
    async with services.engine.connect() as conn:
        views, _ = await tracker_store.list_trackers(
            conn, account_id=session.account.id, interval=interval, alias=tracker.alias, limit=1000
        )
    view = next((v for v in views if v.tracker.id == tracker.id), None)
    return render(
        request,
        "tracker.html",
        {
            "session": session,
            "tracker": tracker,
            "view": view,
            "choice": choice,
            "interval": period,
            "presets": data.PRESETS,
            "growth": growth,
            "deltas": analytics.deltas(recent),
            "chart": data.chart_payload(points, growth.glitches),
            "query": request.url.query,
            "has_activity": actions.has_route(request.app, "/user-trackers/{resourceId}/activity"),
        },
    )


@router.get("/trackers/{tracker_id}/export.csv")
async def tracker_csv(request: Request, services: ServicesDep, session: SessionDep, tracker_id: str) -> Response:
    """The range as CSV: every snapshot (kind=snapshots, like stats?isTimeline=true) or the growth rows."""
    tracker = await _owned(services, session, tracker_id)
    if tracker is None:
        return error_page(request, session, 404, "No such tracker.")
    try:
        choice = _range(request, int(services.clock.now()))
        period = _interval(request, choice)
    except data.InputError as exc:
        return error_page(request, session, 400, str(exc))
    interval = services.settings.snapshot_interval
    points = await data.series(services.engine, tracker, interval=interval, start=choice.start, end=choice.end)
    if request.query_params.get("kind") == "growth":
        g = analytics.growth(points, start=choice.start, end=choice.end, interval=period, tz=choice.tz)
        return csv_response(f"growth-{tracker.alias}.csv", CSV_HEADER, [csv_row(r) for r in g.rows])
    from roost.domain import stats_document

    docs = [stats_document(p) for p in points]
    return csv_response(f"stats-{tracker.alias}.csv", STATS_HEADER, [[d[k] for k in STATS_HEADER] for d in docs])


@router.get("/trackers/{tracker_id}/activity.json")
async def tracker_activity(request: Request, services: ServicesDep, session: SessionDep, tracker_id: str) -> Response:
    """The JSON API's activity for the range, asked in-process with the session's token; 404 when absent."""
    tracker = await _owned(services, session, tracker_id)
    path = "/user-trackers/{resourceId}/activity"
    if tracker is None or not actions.has_route(request.app, path):
        return Response(b'{"available": false}', 404, media_type="application/json")
    try:
        choice = _range(request, int(services.clock.now()))
        period = _interval(request, choice)
    except data.InputError as exc:
        return Response(orjson.dumps({"available": False, "error": str(exc)}), 400, media_type="application/json")
    params = {
        "startDate": choice.start,
        "endDate": choice.end,
        "interval": period,
        "tz": choice.tz.key,
        "limit": 1000,
    }
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://roost.internal") as client:
        r = await client.get(
            f"/user-trackers/{tracker.id}/activity",
            params=params,
            headers={"Authorization": f"Bearer {session.token}"},
        )
    return Response(r.content, r.status_code, media_type="application/json")


# --- compare -----------------------------------------------------------------------------------------------------


@router.get("/compare")
async def compare_page(request: Request, services: ServicesDep, session: SessionDep) -> Response:
    now = int(services.clock.now())
    tags = await data.account_tags(services.engine, account_id=session.account.id)
    try:
        choice = _range(request, now)
        period = _interval(request, choice)
        picked = await actions.compare_trackers(services, session, request, tags)
    except data.InputError as exc:
        return error_page(request, session, 400, str(exc))
    metric = request.query_params.get("metric", "followers")
    if metric not in analytics.METRICS:
        return error_page(request, session, 400, f"Metric must be one of {', '.join(analytics.METRICS)}.")
    interval = services.settings.snapshot_interval
    results = []
    for t in picked:
        points = await data.series(services.engine, t, interval=interval, start=choice.start, end=choice.end)
        results.append((t, analytics.growth(points, start=choice.start, end=choice.end, interval=period, tz=choice.tz)))
    chart = {
        "t": [r.start for r in results[0][1].rows] if results else [],
        "series": [{"label": "@" + t.alias, "values": [r.values[metric] for r in g.rows]} for t, g in results],
    }
    return render(
        request,
        "compare.html",
        {
            "session": session,
            "tags": tags,
            "choice": choice,
            "interval": period,
            "presets": data.PRESETS,
            "results": results,
            "metric": metric,
            "metrics": analytics.METRICS,
            "chart": chart,
            "tag": request.query_params.get("tag", ""),
            "trackers_param": request.query_params.get("trackers", ""),
        },
    )


def mount_dashboard(app: FastAPI) -> None:
    """Add the dashboard's pages, its static files and the login redirect to an API app."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/dashboard", 307)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/dashboard/login", 303)
