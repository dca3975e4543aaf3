"""`roost usage`: what the X API billed this billing month, from Roost's meter (the work is in
roost.services.usage). The operator's whole bill by default; `--account` shows what one account's trackers cost."""

from __future__ import annotations

from typing import Any

import typer

from roost.cli import app
from roost.cli.common import JsonOpt, print_json, run, stdout

KIND_ORDER = ("snapshots", "new_posts", "refreshes", "backfills", "lookups")


@app.command("usage")
def usage(
    month: str | None = typer.Option(None, "--month", help="The billing month, YYYY-MM (default: the current one)"),
    account: str | None = typer.Option(
        None, "--account", help="Only what this account's trackers cost (its email); default: the whole bill"
    ),
    as_json: bool = JsonOpt,
) -> None:
    """What X charged this billing month: by UTC day and kind, by endpoint, by tracker, and the projection to the
    month's end against ROOST_X_MONTHLY_BUDGET, with what is paused or cut. E.g. `roost usage --month 2026-11`.

    Kinds: snapshots (user lookups), new_posts (the timeline), refreshes (metrics re-read), backfills (first
    reads of an account's posts), lookups (anything else). X charges each resource once per UTC day.
    """

    async def work() -> Any:
        from roost.cli.common import runtime
        from roost.services import usage as usage_service
        from roost.services.accounts import account_by_email

        async with runtime() as rt:
            who = None if account is None else await account_by_email(rt, account)
            report = await usage_service.report(rt, account=who, month=month)
            return usage_service.document(report)

    doc = run(work())
    if as_json:
        print_json(doc.dump())
        return
    _print(doc)


def _usd(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.1 or value == 0 else f"${value:,.3f}"


def _print(doc: Any) -> None:
    from rich.table import Table

    console = stdout()
    scope = "the whole bill" if doc.scope == "all" else "this account's trackers"
    console.print(f"X API usage {doc.monthStart} to {doc.monthEnd} ({scope}): {_usd(doc.dollars)} charged")
    budget = f" against a budget of {_usd(doc.budget)}" if doc.budget is not None else " (no budget set)"
    console.print(f"Projected to the month's end: {_usd(doc.projected)}{budget}")
    kinds = [k for k in KIND_ORDER if any(k in d.kinds for d in doc.days)]
    table = Table(title="By UTC day and kind (US dollars)")
    table.add_column("day")
    for kind in kinds:
        table.add_column(kind, justify="right")
    table.add_column("total", justify="right")
    x_posts = any(d.xPosts is not None for d in doc.days)
    if x_posts:
        table.add_column("posts: meter / X", justify="right")
    for d in doc.days:
        cells = [d.date, *(_usd(d.kinds[k].dollars) if k in d.kinds else "-" for k in kinds), _usd(d.dollars)]
        if x_posts:
            cells.append(f"{sum(c.posts for c in d.kinds.values())} / {d.xPosts if d.xPosts is not None else '-'}")
        table.add_row(*cells)
    if doc.days:
        console.print(table)
    else:
        console.print("Nothing was charged this month.")
    summary = Table(title="By kind this month")
    for column in ("kind", "user reads", "post reads", "dollars"):
        summary.add_column(column, justify="left" if column == "kind" else "right")
    for kind in [k for k in KIND_ORDER if k in doc.kinds]:
        c = doc.kinds[kind]
        summary.add_row(kind, f"{c.users:,}", f"{c.posts:,}", _usd(c.dollars))
    if doc.kinds:
        console.print(summary)
    for name, c in doc.endpoints.items():
        console.print(f"  {name}: {c.users:,} users, {c.posts:,} posts, {_usd(c.dollars)}")
    if doc.trackers:
        top = ", ".join(f"@{t.alias} {_usd(t.dollars)}" for t in doc.trackers[:5])
        console.print(f"Most expensive trackers: {top}")
    if doc.xUsage is not None:
        x = doc.xUsage
        console.print(
            f"X's own count: {x.projectUsage if x.projectUsage is not None else '?'} post reads this cap period "
            f"(cap {x.projectCap}, resets on day {x.capResetDay}); Roost's meter: {x.meterPosts} this month"
        )
    for p in doc.paused:
        console.print(f"[red]Paused[/]: {p.kind} ({p.reason}): {p.detail}")
    if doc.snapshotsHeld:
        console.print("[red]The budget no longer holds even the hourly snapshots.[/]")
    elif doc.budgetCut:
        console.print(f"[yellow]The budget holds back:[/] {', '.join(doc.budgetCut)}")
    for d in doc.decisions[:5]:
        console.print(f"  budget {d.decision} {d.purpose}: {d.detail}")
