"""Reading the history from a terminal: `roost stats`, `roost growth`, `roost export` (the numbers come from
roost.services and the shapes from roost.schemas, as the API's do)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from roost.cli import app
from roost.cli.common import (
    AccountOpt,
    FromOpt,
    JsonOpt,
    ToOpt,
    fail,
    now,
    num,
    print_json,
    run,
    signed,
    stdout,
    workspace,
)
from roost.cli.common import when as fmt_when

COUNTS = ("tweets", "followers", "following", "lists")
IntervalOpt = typer.Option("day", "--interval", help="Period of each row: hour, day, week or month")
TzOpt = typer.Option(None, "--tz", help="IANA time zone of the periods and of bare dates (default UTC)")


def _range(start: str | None, end: str | None, tz: str | None = None) -> tuple[int, int]:
    """--from/--to as unix seconds (the last 7 days by default); bad input is one line and exit 1."""
    from roost.core import analytics, timeparse

    try:
        zone = analytics.parse_tz(tz)
    except ValueError as exc:
        fail(f"--tz: {exc}")
    try:
        return timeparse.parse_range(start, end, now=now(), tz=zone)
    except ValueError as exc:
        fail(str(exc))


OPTIONS = {"startDate": "--from", "endDate": "--to", "interval": "--interval", "tz": "--tz"}


def option_message(field: str | None, message: str) -> str:
    """A query problem as the services word it for the API, reworded with the command's option names."""
    text = message.rstrip(".").removeprefix(f"{field}: ")
    text = text.replace("startDate must not be after endDate", "--from must not be after --to")
    text = text.replace("longer interval", "longer --interval")
    option = OPTIONS.get(field or "", "")
    return f"{option}: {text}" if option and not text.startswith(option) else text


async def _read(account: str | None, ref: str, read: Any) -> tuple[Any, Any]:
    """Find the tracker `ref` names among the account's, and run `read(rt, tracker)`."""
    from roost.services import tracker_views
    from roost.services.errors import Invalid

    async with workspace(account) as (rt, acct):
        view = await tracker_views.by_ref(rt, acct, ref)
        try:
            return view, await read(rt, view.tracker)
        except Invalid as exc:
            exc.message = option_message(exc.field, exc.message)
            raise


@app.command("stats")
def stats(
    alias: str = typer.Argument(..., help="The tracker: its alias or id"),
    start: str | None = FromOpt,
    end: str | None = ToOpt,
    timeline: bool = typer.Option(False, "--timeline", help="Every snapshot in the range, not just the two ends"),
    account: str | None = AccountOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Snapshots of a tracker, as Tweet Binder's stats, e.g. `roost stats osasuna --from 2026-11-01 --to 2026-11-07`.

    The first and last snapshot in the range (their difference is the growth) or, with --timeline, every one.
    """
    from roost.schemas import stats_documents
    from roost.services import reports

    lo, hi = _range(start, end)

    async def read(rt: Any, t: Any) -> list[dict[str, Any]]:
        found = await reports.owned_stats(rt, t.account_id, t.id, start=lo, end=hi, timeline=timeline)
        return stats_documents(found.names, found.rows, timeline=timeline)

    view, docs = run(_read(account, alias, read))
    if as_json:
        print_json(docs)
        return
    console = stdout()
    if not docs:
        console.print(f"No snapshots of @{view.username} between {fmt_when(lo)} and {fmt_when(hi)}.")
        return
    from rich.table import Table

    table = Table(
        title=f"@{view.username} ({view.tracker.status}), {fmt_when(lo)} to {fmt_when(hi)}", title_justify="left"
    )
    table.add_column("HOUR (UTC)", no_wrap=True)
    for name in (*COUNTS, "RATIO"):
        table.add_column(name.upper(), justify="right", no_wrap=True)
    table.add_column("COLLECTED", no_wrap=True)
    for doc in docs:
        table.add_row(
            fmt_when(doc["_id"]),
            *(num(doc[k]) for k in COUNTS),
            f"{doc['followersFollowing']:.2f}",
            fmt_when(doc["updatedAt"]),
        )
    if len(docs) >= 2:
        table.add_section()
        table.add_row("change", *(signed(docs[-1][k] - docs[0][k]) for k in COUNTS), "", "")
    console.print(table)


@app.command("growth")
def growth(
    alias: str = typer.Argument(..., help="The tracker: its alias or id"),
    start: str | None = FromOpt,
    end: str | None = ToOpt,
    interval: str = IntervalOpt,
    tz: str | None = TzOpt,
    account: str | None = AccountOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Growth of a tracker per hour, day, week or month, e.g. `roost growth osasuna --from 30d`.

    Each period's counts and change, then totals with percent, average daily growth and a 30-day projection.
    Values judged upstream glitches (a count that collapses and recovers within hours) are flagged and left out
    of the changes.
    """
    from roost.core import analytics
    from roost.schemas import GrowthDocument
    from roost.services import reports

    lo, hi = _range(start, end, tz)

    async def read(rt: Any, t: Any) -> dict[str, Any]:
        g = await reports.growth(rt, t, start=lo, end=hi, interval=interval, tz=tz)
        return GrowthDocument.of(t.id, t.alias, g).dump()

    view, doc = run(_read(account, alias, read))
    if as_json:
        print_json(doc)
        return
    from rich.table import Table

    zone = analytics.parse_tz(tz)
    console = stdout()
    title = (
        f"@{view.username}: growth per {doc['interval']} ({doc['tz']}), {fmt_when(lo, zone)} to {fmt_when(hi, zone)}"
    )
    rows = Table(title=title, title_justify="left")
    rows.add_column("PERIOD", no_wrap=True)
    for name in COUNTS:
        rows.add_column(name.upper(), justify="right", no_wrap=True)
        rows.add_column("±", justify="right", no_wrap=True)
    rows.add_column("SNAPSHOTS", justify="right")
    rows.add_column("GLITCHES", justify="right")
    for row in doc["rows"]:
        cells = [c for m in COUNTS for c in (num(row[m]), signed(row[f"{m}Change"]))]
        rows.add_row(
            row["label"], *cells, str(row["snapshots"]), f"[yellow]{row['glitches']}[/]" if row["glitches"] else ""
        )
    console.print(rows)
    totals = Table(title="Totals", title_justify="left")
    for name in ("METRIC", "START", "END", "CHANGE", "%", "PER DAY", "IN 30 DAYS"):
        totals.add_column(name, justify="left" if name == "METRIC" else "right", no_wrap=True)
    for metric, t in doc["totals"].items():
        percent = "-" if t["percent"] is None else f"{t['percent']:+.2f}%"
        totals.add_row(
            metric, num(t["start"]), num(t["end"]), signed(t["absolute"]), percent, signed(t["avgDaily"]),
            num(t["projection30d"]),
        )  # fmt: skip
    console.print(totals)
    glitches = doc["glitches"]
    for metric in analytics.METRICS:
        found = [g for g in glitches if g["metric"] == metric]
        if found:
            console.print(
                f"[yellow]{len(found)} {metric} value(s) flagged as upstream glitches[/] between "
                f"{fmt_when(found[0]['_id'], zone)} and {fmt_when(found[-1]['_id'], zone)} (a collapse to "
                f"{num(min(g['value'] for g in found))} from {num(found[0]['expected'])} that recovered): "
                "left out of the changes and totals."
            )


@app.command("export")
def export(
    alias: str = typer.Argument(..., help="The tracker: its alias or id; or DEST.zip, the account's whole archive"),
    start: str | None = FromOpt,
    end: str | None = ToOpt,
    fmt: str | None = typer.Option(
        None, "--format", help="csv (a header row, one row per item; the default) or json; for DEST.zip jsonl or csv"
    ),
    what: str = typer.Option("stats", "--what", help="stats (every snapshot), growth (per-period rows) or tweets"),
    interval: str = IntervalOpt,
    tz: str | None = TzOpt,
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout"),
    account: str | None = AccountOpt,
) -> None:
    """Export a tracker's snapshots, growth rows or posts as CSV or JSON, e.g. `roost export osasuna -o o.csv`;
    or an account's whole data as a zip: `roost export --account ana@example.com ana.zip` (`roost import archive`).

    The columns are the API's `format=csv` ones. More: `roost export osasuna --from 30d --what growth
    --format json -o growth.json`.
    """
    from roost.schemas import csv_text
    from roost.services import exports

    if alias.endswith(".zip"):  # aliases and ids never contain a dot: `roost export --account EMAIL DEST.zip`
        from roost.cli.data import export_archive

        export_archive(Path(alias), account=account, fmt=fmt or "jsonl")
        return
    fmt = fmt or "csv"
    if fmt not in ("csv", "json"):
        fail("--format must be csv or json")
    if what not in exports.EXPORTS:
        fail(f"--what must be one of {', '.join(exports.EXPORTS)}")
    lo, hi = _range(start, end, tz)
    _, found = run(
        _read(
            account,
            alias,
            lambda rt, t: exports.export(rt, t, what=what, start=lo, end=hi, interval=interval, tz=tz),
        )
    )
    if fmt == "csv":
        text = csv_text(found.header, found.rows)
    else:
        import orjson

        text = orjson.dumps(found.document, option=orjson.OPT_INDENT_2).decode() + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    typer.echo(f"Wrote {len(found.rows)} {what} rows to {output}.")
