"""The dashboard's usage page (`/dashboard/usage`): what X charged this billing month, a daily chart of dollars
stacked by kind (server-drawn SVG: readable without JavaScript, in screenshots and in print), the projection to
the month's end against the budget, what is paused or held back and the budget's decisions, and X's own post
count beside the meter where X serves `GET /2/usage/tweets`. An account sees what its own trackers cost; an
operator (`ROOST_OPERATORS`) also the whole bill. Also the cost preview under the trackers page's add box."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi import Request
from starlette.responses import Response

from roost.core import analytics
from roost.core.metering import DAY
from roost.services import usage as usage_service
from roost.services.runtime import Runtime
from roost.web.data import count
from roost.web.errors import dashboard_router
from roost.web.render import render
from roost.web.session import RuntimeDep, SessionDep

router = dashboard_router()

KINDS = ("snapshots", "new_posts", "refreshes", "backfills", "lookups")
LABELS = {
    "snapshots": "Snapshots",
    "new_posts": "New posts",
    "refreshes": "Metric refreshes",
    "backfills": "Backfills",
    "lookups": "Other lookups",
}
COLORS = {
    "snapshots": "#2563eb",
    "new_posts": "#16a34a",
    "refreshes": "#f59e0b",
    "backfills": "#9333ea",
    "lookups": "#6b7280",
}
CHART_W, CHART_H, PAD_L, PAD_B, PAD_T = 960, 240, 76, 26, 16


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    color: str
    title: str


@dataclass(frozen=True, slots=True)
class Chart:
    bars: list[Bar]
    ticks: list[tuple[float, str]]  # (y, label) of the dollar axis
    labels: list[tuple[float, str]]  # (x, label) of the day axis
    width: int = CHART_W
    height: int = CHART_H
    pad: int = PAD_L  # the dollar axis's labels sit left of it


def chart(report: usage_service.UsageReport) -> Chart:
    """Stacked bars of dollars by kind, one per day of the billing month (days not yet come stay empty)."""
    days = max(1, (report.end - report.start) // DAY)
    by_day = {d.day.isoformat(): d for d in report.days}
    top = max([d.total.dollars for d in report.days] + [Decimal("0.01")])
    step = _nice_step(float(top) / 4)
    ceiling = step * max(1, -(-float(top) // step))
    plot_w, plot_h = CHART_W - PAD_L - 4, CHART_H - PAD_B - PAD_T
    slot = plot_w / days
    bars: list[Bar] = []
    labels: list[tuple[float, str]] = []
    for i in range(days):
        day = datetime.fromtimestamp(report.start + i * DAY, UTC).date()
        x = PAD_L + i * slot
        if i % max(1, days // 8) == 0:
            labels.append((x + slot / 2, f"{day.day} {day:%b}"))
        line = by_day.get(day.isoformat())
        if line is None:
            continue
        y = float(PAD_T + plot_h)
        for kind in KINDS:
            cost = line.kinds.get(kind)
            if cost is None or not cost.dollars:
                continue
            h = float(cost.dollars) / ceiling * plot_h
            y -= h
            title = (
                f"{day:%a} {day.day} {day:%b %Y}, {LABELS[kind]}: ${cost.dollars:.3f}"
                f" ({count(cost.users, 'user')}, {count(cost.posts, 'post')})"
            )
            bars.append(Bar(x + slot * 0.12, y, slot * 0.76, h, COLORS[kind], title))
    ticks = [(PAD_T + plot_h - k * step / ceiling * plot_h, f"${k * step:.2f}") for k in range(int(ceiling / step) + 1)]
    return Chart(bars, ticks, labels)


def _nice_step(raw: float) -> float:
    for step in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000, 2000, 5000):
        if step >= raw:
            return float(step)
    return 10000.0


@router.get("/usage")
async def usage_page(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    operator = _is_operator(rt, session.account.email)
    scope = request.query_params.get("scope") or ("all" if operator else "account")
    month = request.query_params.get("month") or None
    account = usage_service.scope_for(rt, session.account, scope)
    report = await usage_service.report(rt, account=account, month=month)
    context: dict[str, Any] = {
        "session": session,
        "r": report,
        "doc": usage_service.document(report),
        "chart": chart(report),
        "kinds": [(k, LABELS[k], COLORS[k]) for k in KINDS],
        "operator": operator,
        "scope": scope,
        "month": month or "",
        "budget_share": _share(report),
        "utc": analytics.parse_tz(None),
    }
    return render(request, "usage.html", context)


def _share(report: usage_service.UsageReport) -> dict[str, float] | None:
    """Widths (percent) of the spent and projected parts of the budget bar."""
    if report.budget is None or report.budget <= 0:
        return None
    spent = min(100.0, float(report.spent / report.budget * 100))
    projected = min(100.0, float(report.projected / report.budget * 100))
    return {"spent": spent, "projected": max(0.0, projected - spent), "over": float(report.projected > report.budget)}


def _is_operator(rt: Runtime, email: str) -> bool:
    return email.lower() in {e.strip().lower() for e in rt.settings.operators.split(",") if e.strip()}
