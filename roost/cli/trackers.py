"""Trackers from a terminal: `roost trackers`, `roost track`, `roost stop` (the work is in roost.services)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from roost.cli import app
from roost.cli.common import AccountOpt, JsonOpt, fail, num, print_json, run, signed, stderr, stdout, workspace

if TYPE_CHECKING:
    from collections.abc import Callable

    from roost.store.accounts import SlotBalance

STATUSES = ("active", "stopped")
WINDOWS = ("24h", "7d", "30d")


def _balance_doc(balance: SlotBalance) -> dict[str, int]:
    """The balance as Tweet Binder's `/me/balances` item says it: slots in all, and free."""
    return {"total": balance.total, "balance": balance.free}


def _balance_line(balance: SlotBalance) -> str:
    return f"{balance.free} of {balance.total} tracker slots free."


@app.command("trackers")
def trackers_list(
    status: str | None = typer.Option(None, help="Only trackers with this status: active or stopped"),
    account: str | None = AccountOpt,
    as_json: bool = JsonOpt,
) -> None:
    """List your trackers with their counts and follower change over 24h, 7d and 30d.

    Newest first, with why collection fails if it does. E.g. `roost trackers --status active`.
    """
    if status is not None and status not in STATUSES:
        fail("--status must be active or stopped")

    async def work() -> tuple[str, Any, list[dict[str, Any]]]:
        from roost.schemas import TrackerDocument
        from roost.services import accounts as account_service
        from roost.services import tracker_views

        async with workspace(account) as (rt, acct):
            found = await tracker_views.summaries(rt, acct, status="active" if status == "active" else None)
            rows = [
                {
                    **TrackerDocument.of(s.view, interval=rt.interval, now=rt.now()).dump(),
                    "deltas": {d.window: dict(d.changes) for d in s.deltas},
                    "deltasComplete": {d.window: d.complete for d in s.deltas},
                }
                for s in found
                if status is None or s.view.tracker.status == status
            ]
            return acct.email, await account_service.balance(rt, acct), rows

    email, balance, rows = run(work())
    if as_json:
        print_json({"account": email, "balance": _balance_doc(balance), "trackers": rows})
        return
    console = stdout()
    if not rows:
        console.print(f"{email} has no trackers yet: roost track ALIAS. {_balance_line(balance)}")
        return
    from rich.table import Table

    table = Table(title=f"Trackers of {email}: {_balance_line(balance)}", title_justify="left")
    for name in ("ALIAS", "USERNAME", "STATUS"):
        table.add_column(name, no_wrap=True)
    for name in ("TWEETS", "FOLLOWERS", "FOLLOWING", "LISTS", "24H", "7D", "30D"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("LAST ERROR")
    table.add_column("ID", no_wrap=True)
    for row in rows:
        last = row["lastSnapshot"] or {}
        followers = {window: changes.get("followers") for window, changes in row["deltas"].items()}
        table.add_row(
            row["alias"],
            "@" + row["username"],
            row["status"],
            *(num(last.get(k)) for k in ("tweets", "followers", "following", "lists")),
            *(signed(followers.get(w)) + ("" if row["deltasComplete"].get(w) else "*") for w in WINDOWS),
            row["lastError"] or "",
            row["_id"],
        )
    console.print(table)
    if not all(all(row["deltasComplete"].values()) for row in rows):
        console.print("* less history than the window: the change since the first snapshot")


def _outcome(
    outcome: Any, balance: SlotBalance, as_json: bool, verb: str, asked: int, name: str, detail: Callable[[Any], str]
) -> None:
    """What `track` and `stop` did: JSON with the balance, or a table of every item (`name`: its key)."""
    if as_json:
        print_json({"ok": outcome.ok, "errors": outcome.errors, "balance": _balance_doc(balance)})
    else:
        _outcome_table(
            f"{verb} {len(outcome.ok)} of {asked}: {_balance_line(balance)}",
            [(item[name], detail(item)) for item in outcome.ok],
            [(item[name], item["code"], item["message"]) for item in outcome.errors],
        )


def _outcome_table(title: str, ok: list[tuple[str, str]], errors: list[tuple[str, str, str]]) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("ALIAS", no_wrap=True)
    table.add_column("RESULT", no_wrap=True)
    table.add_column("DETAIL")
    for name, detail in ok:
        table.add_row(name, "[green]ok[/]", detail)
    for name, code, message in errors:
        table.add_row(name, f"[red]{code}[/]", message)
    stdout().print(table)


@app.command("track")
def track(
    aliases: list[str] = typer.Argument(..., help="X screen names to follow, with or without '@'"),
    archive: bool = typer.Option(
        True, "--archive/--no-archive", help="Archive their posts too (off: hourly snapshots only, the cheapest)"
    ),
    account: str | None = AccountOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Start tracking X accounts, e.g. `roost track osasuna @realmadrid`.

    Each alias succeeds or fails on its own (unknown, suspended, already tracked, no free slot); exits 1 if any
    failed. Shows the tracker-slot balance after.
    """

    async def work() -> Any:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from roost.services import accounts as account_service
        from roost.services import trackers as tracker_service

        async with workspace(account) as (rt, acct):
            console = stderr()
            columns = (TextColumn("tracking"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
                task = progress.add_task("aliases", total=len(aliases))
                done = await tracker_service.create_many(
                    rt, acct, aliases, on_batch=lambda n: progress.advance(task, n), archive=archive
                )
            return done, await account_service.balance(rt, acct)

    outcome, balance = run(work())
    _outcome(outcome, balance, as_json, "Tracked", len(aliases), "alias", lambda item: str(item["resourceId"]))
    if outcome.errors:
        fail(f"{len(outcome.errors)} of {len(aliases)} aliases were not tracked")


@app.command("stop")
def stop(
    refs: list[str] = typer.Argument(..., help="Trackers to stop: their alias or id (see `roost trackers`)"),
    account: str | None = AccountOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Stop trackers by alias or id, e.g. `roost stop osasuna`.

    Collection ends at once and the slot is free again; what was collected stays readable. Exits 1 if any could
    not be stopped.
    """

    async def work() -> Any:
        from roost.services import accounts as account_service
        from roost.services import trackers as tracker_service

        async with workspace(account) as (rt, acct):
            done = await tracker_service.stop_refs(rt, acct, refs)
            return done, await account_service.balance(rt, acct)

    outcome, balance = run(work())
    _outcome(
        outcome, balance, as_json, "Stopped", len(refs), "ref", lambda i: f"stopped {i['alias']} ({i['resourceId']})"
    )
    if outcome.errors:
        fail(f"{len(outcome.errors)} of {len(refs)} trackers were not stopped")
