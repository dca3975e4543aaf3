"""X's own count of the Project's post reads: `GET /2/usage/tweets` (app bearer token, 50 requests per 15 min),
shown beside Roost's meter. Counts come as strings; `days` and `usage.fields=daily_project_usage` add daily rows.
Where X does not serve it (it is documented, not promised) the answer is None, never an error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from roost.xapi.client import XClient
from roost.xapi.errors import XApiError

ENDPOINT = "GET /2/usage/tweets"


@dataclass(frozen=True, slots=True)
class XPostUsage:
    cap_reset_day: int | None
    project_cap: int | None
    project_usage: int | None  # post reads this cap period, as X counts them
    daily: dict[date, int]  # post reads per UTC day


def _count(value: Any) -> int | None:
    text = str(value) if isinstance(value, int | str) else ""
    return int(text) if text.isdigit() else None


def parse_usage(body: dict[str, Any]) -> XPostUsage:
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    assert isinstance(data, dict)
    daily: dict[date, int] = {}
    project = data.get("daily_project_usage")
    rows = project.get("usage") if isinstance(project, dict) else None
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            continue
        count = _count(row.get("usage"))
        try:
            day = date.fromisoformat(str(row.get("date", ""))[:10])
        except ValueError:
            continue
        if count is not None:
            daily[day] = daily.get(day, 0) + count
    return XPostUsage(
        cap_reset_day=_count(data.get("cap_reset_day")),
        project_cap=_count(data.get("project_cap")),
        project_usage=_count(data.get("project_usage")),
        daily=daily,
    )


async def post_usage(client: XClient, *, days: int = 31) -> XPostUsage | None:
    """X's report for the last `days` (1..90) days, or None when X does not answer it."""
    params = {"days": str(max(1, min(90, days))), "usage.fields": "daily_project_usage"}
    try:
        body = await client.get_json(ENDPOINT, "/2/usage/tweets", params, max_wait=0.0)
    except XApiError:
        return None
    return parse_usage(body)
