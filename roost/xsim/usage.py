"""`GET /2/usage/tweets`: a Project's post consumption, in X's shape (spec/x-api.md, "Billing").

`{"data": {"cap_reset_day": 10, "project_cap": "...", "project_id": "...", "project_usage": "..."}}`, counts as
strings; `usage.fields=daily_project_usage,daily_client_app_usage` adds one row per UTC day for the last `days`
days (1..90, default 7), oldest first, today included. The Project is the bearer token's; each token is one of its
client apps. Parameters are validated with X's wordings (`roost.xsim.params`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qsl

from roost.core.billing import utc_day
from roost.xsim.billing import Ledger, numeric_id
from roost.xsim.errors import InvalidRequest, Json, param_error

PARAMETERS = ("days", "usage.fields")
USAGE_FIELDS = ("daily_client_app_usage", "daily_project_usage")
MIN_DAYS, MAX_DAYS, DEFAULT_DAYS = 1, 90, 7


@dataclass(frozen=True, slots=True)
class UsageQuery:
    days: int = DEFAULT_DAYS
    fields: frozenset[str] = frozenset()


def parse_usage(query_string: str) -> UsageQuery:
    """Validate the query string; InvalidRequest lists every problem, as X does."""
    grouped: dict[str, list[str]] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        grouped.setdefault(name, []).append(value)
    errors: list[Json] = []
    days = DEFAULT_DAYS
    fields: set[str] = set()
    if "days" in grouped:
        values = grouped["days"]
        text = values[0]
        if not (text.isdigit() and len(text) < 10):
            errors.append(param_error("days", values, f"The `days` query parameter value [{text}] is not valid"))
        elif not MIN_DAYS <= int(text) <= MAX_DAYS:
            message = f"The `days` query parameter value [{text}] is not between {MIN_DAYS} and {MAX_DAYS}"
            errors.append(param_error("days", values, message))
        else:
            days = int(text)
    if "usage.fields" in grouped:
        values = grouped["usage.fields"]
        for value in values:
            for item in value.split(","):
                if item in USAGE_FIELDS:
                    fields.add(item)
                else:
                    message = (
                        f"The `usage.fields` query parameter value [{item}] is not one of [{','.join(USAGE_FIELDS)}]"
                    )
                    errors.append(param_error("usage.fields", values, message))
    for name, values in grouped.items():
        if name in PARAMETERS and len(values) > 1:
            message = f"Duplicate parameters are not allowed: the `{name}` query parameter"
            errors.append(param_error(name, values, message))
        elif name not in PARAMETERS:
            message = f"The query parameter [{name}] is not one of [{','.join(PARAMETERS)}]"
            errors.append(param_error(name, values, message))
    if errors:
        raise InvalidRequest(errors)
    return UsageQuery(days, frozenset(fields))


def _stamp(day: date) -> str:
    return f"{day.isoformat()}T00:00:00.000Z"


def usage_tweets(ledger: Ledger, token: str, now: float, query: UsageQuery) -> Json:
    """The body of a 200 for `token`'s Project at `now` (the emulator's clock)."""
    project = ledger.project_of(token)
    project_id = numeric_id(project, 16)
    today = utc_day(now)
    data: Json = {
        "cap_reset_day": ledger.settings.cap_reset_day,
        "project_cap": str(ledger.post_cap()),
        "project_id": project_id,
        "project_usage": str(ledger.period_posts(project, today)),
    }
    days = [today - timedelta(days=back) for back in range(query.days - 1, -1, -1)]
    if "daily_project_usage" in query.fields:
        rows = ledger.daily_posts(project, days)
        data["daily_project_usage"] = {
            "project_id": project_id,
            "usage": [{"date": _stamp(day), "usage": str(n)} for day, n in zip(days, rows, strict=True)],
        }
    if "daily_client_app_usage" in query.fields:
        data["daily_client_app_usage"] = [
            {
                "client_app_id": numeric_id("app:" + app, 8),
                "usage": [{"date": _stamp(day), "usage": str(n)} for day, n in zip(days, rows, strict=True)],
                "usage_result_count": len(days),
            }
            for app, rows in ledger.apps(project, days)
        ]
    return {"data": data}
