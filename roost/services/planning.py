"""`roost plan`: the planner (roost.core.planner) fed with this installation's collection settings.

The backfill depth, the refresh schedule and the snapshot interval default to what the collector would use
(ROOST_BACKFILL_DEPTH, ROOST_REFRESH_SCHEDULE, ROOST_SNAPSHOT_INTERVAL), so a plan prices the Roost that would
run; the command's options override them. `plan_document` is the plan as `--json` prints it: money as strings
of exact dollars, so a script can compare it with the emulator's bill to the cent.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from roost.config import Settings
from roost.core.billing import format_refresh_schedule, parse_refresh_schedule
from roost.core.planner import DEFAULT_REFRESH, Plan, PlanInput, plan


def make_plan(
    settings: Settings,
    *,
    accounts: int,
    posts_per_day: float,
    backfill: int | None = None,
    refresh: str | None = None,
    tokens: int | None = None,
    post_cap: int | None = None,
) -> Plan:
    """The plan; ValueError names the option at fault."""
    schedule_text = refresh if refresh is not None else str(getattr(settings, "refresh_schedule", DEFAULT_REFRESH))
    try:
        schedule = parse_refresh_schedule(schedule_text)
    except ValueError as exc:
        raise ValueError(f"--refresh: {exc}") from None
    return plan(
        PlanInput(
            accounts=accounts,
            posts_per_day=posts_per_day,
            backfill=settings.backfill_depth if backfill is None else backfill,
            refresh=schedule,
            tokens=tokens if tokens is not None else max(1, len(settings.x_tokens)),
            snapshot_interval=settings.snapshot_interval,
            post_cap=post_cap,
        )
    )


def _usd(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP):f}"


def _reads(value: Decimal) -> float:
    return float(round(value, 2))


def plan_document(p: Plan) -> dict[str, Any]:
    given = p.input
    return {
        "input": {
            "accounts": given.accounts,
            "postsPerDay": given.posts_per_day,
            "backfill": given.backfill,
            "refresh": format_refresh_schedule(given.refresh),
            "tokens": given.tokens,
            "snapshotInterval": given.snapshot_interval,
            "postCap": given.post_cap,
        },
        "requests": {
            "endpoints": [
                {
                    "endpoint": load.endpoint,
                    "perHour": round(load.requests_per_hour, 2),
                    "perWindow": round(load.per_window, 2),
                    "limitPerWindow": load.limit,
                    "tokensNeeded": load.tokens_needed,
                }
                for load in p.endpoints
            ],
            "tokensNeeded": p.tokens_needed,
            "fitsRateLimits": p.fits_rate_limits,
        },
        "perDay": {
            "users": _reads(p.users_per_day),
            "posts": _reads(p.posts_per_day),
            "readsPerPost": _reads(p.reads_per_post),
            "usd": _usd(p.usd_per_day),
        },
        "perMonth": {
            "byKind": {
                m.kind: {
                    "resource": m.resource.value,
                    "readsPerDay": _reads(m.reads_per_day),
                    "usd": _usd(m.usd_per_month),
                }
                for m in p.monthly
            },
            "usd": _usd(p.usd_per_month),
            "usdPerAccount": _usd(p.usd_per_account_month),
            "postReads": _reads(p.post_reads_per_month),
        },
        "startup": {
            "usd": _usd(p.startup_usd),
            "usdPerAccount": _usd(p.startup_usd_per_account),
            "timelineRequests": p.startup_requests,
            "hours": round(p.startup_hours, 2),
        },
        "postCap": {
            "cap": p.post_cap,
            "fits": p.fits_post_cap,
            "firstMonthPostReads": _reads(p.first_month_post_reads),
            "firstMonthFits": p.first_month_fits_post_cap,
        },
        "storagePerYear": {
            "snapshotRows": p.snapshot_rows_per_year,
            "postRows": p.post_rows_per_year,
            "bytes": p.storage_bytes_per_year,
        },
    }
