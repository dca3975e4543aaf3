"""`roost plan`: what following N accounts will cost on X (requests, money, disk), before it is done."""

from __future__ import annotations

from decimal import Decimal

import typer

from roost.cli import app
from roost.cli.common import JsonOpt, fail, print_json, stdout


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def _number(text: str | None, flag: str, *, whole: bool = True, required: bool = False) -> float | None:
    """Options arrive as text so a bad value is one `Error:` line naming the flag, like every other problem."""
    if text is None:
        if required:
            fail(f"{flag} is required (see roost plan --help)")
        return None
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        fail(f"{flag} must be {kind}, not {text!r}")
    return value


@app.command()
def plan(
    accounts: str | None = typer.Option(None, "--accounts", help="Accounts to track (required)"),
    posts_per_day: str | None = typer.Option(
        None, "--posts-per-day", help="Posts an account publishes a day, on average (required)"
    ),
    backfill: str | None = typer.Option(
        None, "--backfill", help="Posts read back when a tracker starts (default: ROOST_BACKFILL_DEPTH)"
    ),
    refresh: str | None = typer.Option(
        None,
        "--refresh",
        help="Post ages at which metrics are re-read, e.g. 1h,24h,7d or none (default: ROOST_REFRESH_SCHEDULE)",
    ),
    tokens: str | None = typer.Option(None, "--tokens", help="Bearer tokens pooled (default: ROOST_X_BEARER_TOKEN's)"),
    post_cap: str | None = typer.Option(
        None, "--post-cap", help="A legacy plan's monthly post cap (default: pay-per-use's 2,000,000)"
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Plan the X bill of tracking accounts: requests an hour against X's rate limits, billable reads a day,
    dollars a month by kind, the start-up cost, the post cap, and the storage a year.

    Example: `roost plan --accounts 100 --posts-per-day 5 --refresh 1h,24h`.
    """
    from roost.config import Settings
    from roost.services.planning import make_plan, plan_document

    n = _number(accounts, "--accounts", required=True)
    rate = _number(posts_per_day, "--posts-per-day", whole=False, required=True)
    depth, pooled, cap = (
        _number(v, f) for v, f in ((backfill, "--backfill"), (tokens, "--tokens"), (post_cap, "--post-cap"))
    )
    assert n is not None and rate is not None
    try:
        result = make_plan(
            Settings(),
            accounts=int(n),
            posts_per_day=rate,
            backfill=None if depth is None else int(depth),
            refresh=refresh,
            tokens=None if pooled is None else int(pooled),
            post_cap=None if cap is None else int(cap),
        )
    except ValueError as exc:
        fail(str(exc))
    doc = plan_document(result)
    if as_json:
        print_json(doc)
        return
    _print(doc)


def _print(doc: dict[str, object]) -> None:
    from rich.table import Table

    given, requests, day, month = doc["input"], doc["requests"], doc["perDay"], doc["perMonth"]
    startup, cap, storage = doc["startup"], doc["postCap"], doc["storagePerYear"]
    assert isinstance(given, dict) and isinstance(requests, dict) and isinstance(day, dict)
    assert isinstance(month, dict) and isinstance(startup, dict) and isinstance(cap, dict)
    assert isinstance(storage, dict)
    out = stdout()
    out.print(
        f"Plan: {given['accounts']:,} accounts, {given['postsPerDay']:g} posts a day each, snapshots every "
        f"{given['snapshotInterval']} s, backfill {given['backfill']} posts, refreshes at {given['refresh']}, "
        f"{given['tokens']} token(s)"
    )
    out.print("Requests against X's rate limits (a window is 15 minutes; limits are per token):")
    rates = Table()
    for column in ("endpoint", "per hour", "busiest window", "limit", "tokens needed"):
        rates.add_column(column, justify="left" if column == "endpoint" else "right")
    for row in requests["endpoints"]:
        rates.add_row(
            row["endpoint"],
            f"{row['perHour']:,.1f}",
            f"{row['perWindow']:,.1f}",
            f"{row['limitPerWindow']:,}",
            str(row["tokensNeeded"]),
        )
    out.print(rates)
    verdict = "fits" if requests["fitsRateLimits"] else "does NOT fit"
    out.print(f"Tokens needed: {requests['tokensNeeded']} ({verdict} with {given['tokens']})")
    out.print("Money at X's pay-per-use prices (each user and post charged once per UTC day it is read):")
    money = Table()
    for column in ("kind", "billable reads a day", "dollars a month"):
        money.add_column(column, justify="left" if column == "kind" else "right")
    for kind, row in month["byKind"].items():
        money.add_row(kind.replace("_", " "), f"{row['readsPerDay']:,.2f} {row['resource']}s", _usd(row["usd"]))
    money.add_row("total", f"{_usd(day['usd'])} a day", _usd(month["usd"]))
    out.print(money)
    out.print(f"Per account: {_usd(month['usdPerAccount'])} a month ({day['readsPerPost']:g} charged reads a post)")
    out.print(
        f"Start-up, once: {_usd(startup['usd'])} ({_usd(startup['usdPerAccount'])} an account: the first user read, "
        "the backfill, and the refreshes its young posts still have)"
    )
    out.print(f"  {startup['timelineRequests']:,} timeline requests, {startup['hours']:g} h at the rate limit")
    fits = "fit" if cap["fits"] else "do NOT fit"
    first = "fit" if cap["firstMonthFits"] else "do NOT fit"
    out.print(
        f"Post cap {cap['cap']:,} a month: {month['postReads']:,.0f} post reads a month {fits}; the first month's "
        f"{cap['firstMonthPostReads']:,.0f} with the backfills {first}"
    )
    sizes = storage["bytes"]
    out.print(
        f"Storage a year: {storage['snapshotRows']:,} snapshots and {storage['postRows']:,} posts: "
        f"SQLite {_size(sizes['sqlite'])}, PostgreSQL {_size(sizes['postgresql'])}"
    )


def _usd(text: str) -> str:
    return f"${Decimal(text):,.2f}"
