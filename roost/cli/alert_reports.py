"""`roost alerts report`: scheduled reports (weekly or monthly, at a local time in a time zone) of an account."""

from __future__ import annotations

import typer

from roost.cli.alerts import _table, alerts_app
from roost.cli.common import AccountOpt, JsonOpt, fail, print_json, run, when, workspace

report_app = typer.Typer(help="Scheduled reports: weekly or monthly, at a local time, to a channel.",
                         no_args_is_help=True)  # fmt: skip
alerts_app.add_typer(report_app, name="report")


@report_app.command("add")
def report_add(
    account: str | None = AccountOpt,
    every: str = typer.Option(..., "--every", help="week or month"),
    at: str = typer.Option(..., "--at", help="Local time HH:MM, e.g. 09:00"),
    tz: str = typer.Option(..., "--tz", help="IANA time zone, e.g. Europe/Madrid"),
    weekday: str | None = typer.Option(None, "--weekday", help="Weekly: mon..sun (default mon)"),
    day: int | None = typer.Option(None, "--day", help="Monthly: day of the month 1-31 (default 1)"),
    trackers: str = typer.Option(..., "--trackers", help="Tracker aliases (or resourceIds), comma-separated"),
    channel: str = typer.Option(..., "--channel", help="The channel id (see `roost alerts channel list`)"),
    as_json: bool = JsonOpt,
) -> None:
    """Add a scheduled report: the period's table (start, end, change), top posts, a chart and a CSV."""
    from roost.schemas.alert_reports import ReportDocument
    from roost.services import alert_reports

    async def task() -> None:
        async with workspace(account) as (rt, acct):
            view = await alert_reports.add_report(
                rt, acct, every=every, at=at, tz=tz, weekday=weekday, day=day, trackers=trackers.split(","),
                channel=channel,
            )  # fmt: skip
        if as_json:
            print_json(ReportDocument.of(view).dump())
            return
        typer.echo(f"Added report {view.id}: {view.schedule}, {', '.join('@' + a for a in view.trackers)} "
                   f"to {view.channel}; next {when(view.next_at)}.")  # fmt: skip

    run(task())


@report_app.command("list")
def report_list(account: str | None = AccountOpt, as_json: bool = JsonOpt) -> None:
    """The account's scheduled reports."""
    from roost.schemas.alert_reports import ReportDocument
    from roost.services import alert_reports

    async def task() -> None:
        async with workspace(account) as (rt, acct):
            found = await alert_reports.list_reports(rt, acct)
        if as_json:
            print_json([ReportDocument.of(r).dump() for r in found])
            return
        rows = [[r.id, r.schedule, ", ".join("@" + a for a in r.trackers), r.channel, when(r.next_at),
                 when(r.last_sent) if r.last_sent else "-"] for r in found]  # fmt: skip
        _table(["id", "when", "trackers", "channel", "next", "last sent"], rows)

    run(task())


@report_app.command("remove")
def report_remove(report: str = typer.Argument(..., help="The report's id"), account: str | None = AccountOpt) -> None:
    """Remove a scheduled report."""
    from roost.services import alert_reports

    async def task() -> None:
        async with workspace(account) as (rt, acct):
            await alert_reports.remove_report(rt, acct, report)
        typer.echo(f"Removed report {report}.")

    run(task())


@report_app.command("send")
def report_send(report: str = typer.Argument(..., help="The report's id"), account: str | None = AccountOpt) -> None:
    """Send the report of its latest complete period now, to try it (exit 1 if it was not delivered)."""
    from roost.services import alert_reports
    from roost.store.outbox import DeliveryRow

    async def task() -> DeliveryRow:
        async with workspace(account) as (rt, acct):
            return await alert_reports.send_now(rt, acct, report)

    result = run(task())
    if result.status != "delivered":
        fail(f"the report was not delivered: {result.last_error or 'no answer'} (retried later)")
    typer.echo(f"Delivered the report through {result.channel_name}; id {result.id}.")
