"""`roost simulate`: what following N accounts for D days costs, measured by running the real collector against
the emulator in virtual time (the work is in roost.services.simulate)."""

from __future__ import annotations

from typing import Any

import typer

from roost.cli import app
from roost.cli.common import JsonOpt, print_json, run, stderr, stdout

KINDS = ("snapshots", "new_posts", "refreshes")


@app.command("simulate")
def simulate(
    days: int = typer.Option(..., "--days", help="Days of virtual time to collect (1-366)"),
    accounts: int = typer.Option(..., "--accounts", help="Accounts to track (1-5000)"),
    posts_per_day: float | None = typer.Option(
        None, "--posts-per-day", help="Track accounts posting about this often (default: the emulator's mix)"
    ),
    budget: float | None = typer.Option(None, "--budget", help="ROOST_X_MONTHLY_BUDGET for the run, US dollars"),
    workers: int = typer.Option(1, "--workers", help="Collector workers (more than one needs PostgreSQL)"),
    database_url: str | None = typer.Option(
        None, "--database-url", help="Collect into this database (default: a fresh temporary SQLite file)"
    ),
    faults: bool = typer.Option(False, "--faults", help="The emulator fails some requests (503, 429, drops, slow)"),
    as_json: bool = JsonOpt,
) -> None:
    """Run the real collector over D days of virtual time against the built-in emulator and print the emulator's
    bill beside Roost's meter, by UTC day and kind, and dollars a month by kind, e.g.
    `roost simulate --days 30 --accounts 100 --posts-per-day 5`.

    Uses the ROOST_* collection settings (ROOST_BACKFILL_DEPTH, ROOST_REFRESH_SCHEDULE, prices), never X itself.
    """

    async def work() -> Any:
        from roost.config import Settings
        from roost.services.simulate import Simulation
        from roost.services.simulate import run as run_simulation

        console = stderr()
        sim = Simulation(
            days=days, accounts=accounts, posts_per_day=posts_per_day, budget=budget, workers=workers,
            database_url=database_url, faults=faults, settings=Settings(),
            progress=(lambda d: console.print(f"day {d} of {days}")) if console.is_terminal else None,
        )  # fmt: skip
        return await run_simulation(sim)

    outcome = run(work())
    doc = document(outcome)
    if as_json:
        print_json(doc)
    else:
        _print(doc)


def _usd(value: Any) -> float:
    return round(float(value), 4)


def document(o: Any) -> dict[str, Any]:
    monthly = {k: _usd(v) for k, v in o.monthly.items()}
    total = sum(o.monthly.values())
    n = o.sim.accounts
    return {
        "days": o.sim.days,
        "accounts": n,
        "postsPerDay": o.sim.posts_per_day,
        "measuredPostsPerDay": round(sum(o.rates) / max(1, len(o.rates)), 3),
        "budget": o.sim.budget,
        "workers": o.sim.workers,
        "faults": o.sim.faults,
        "meterEqualsBill": o.matches,
        "bill": [{"date": d.date, "users": d.users, "posts": d.posts, "dollars": _usd(d.dollars)} for d in o.bill],
        "meter": [
            {
                "date": d.date,
                "users": d.users,
                "posts": d.posts,
                "dollars": _usd(d.dollars),
                "kinds": {k: _usd(v) for k, v in sorted(d.kinds.items())},
            }
            for d in o.meter
        ],
        "billTotal": _usd(sum(d.dollars for d in o.bill)),
        "meterTotal": _usd(sum(d.dollars for d in o.meter)),
        "steadyDays": o.steady_days,
        "monthly": {**monthly, "total": _usd(total)},
        "monthlyPerAccount": _usd(total / n),
        "start": {"backfills": _usd(o.start_cost), "lookups": _usd(o.tracker_lookups)},
        "startPerAccount": _usd((o.start_cost + o.tracker_lookups) / n),
    }


def _print(doc: dict[str, Any]) -> None:
    from rich.table import Table

    console = stdout()
    mix = f"posting about {doc['postsPerDay']} a day" if doc["postsPerDay"] else "the emulator's mix of rates"
    console.print(
        f"{doc['accounts']} accounts ({mix}, measured {doc['measuredPostsPerDay']} a day), {doc['days']} days, "
        f"{doc['workers']} worker(s){', faults on' if doc['faults'] else ''}"
        + (f", budget ${doc['budget']:.2f}" if doc["budget"] else "")
    )
    table = Table(title="The emulator's bill beside Roost's meter (US dollars by UTC day)")
    for column in ("day", "bill: users", "bill: posts", "bill $", "meter $", *KINDS, "backfills", "lookups"):
        table.add_column(column, justify="left" if column == "day" else "right")
    meter = {d["date"]: d for d in doc["meter"]}
    for d in doc["bill"]:
        m = meter.get(d["date"], {"dollars": 0.0, "kinds": {}})
        kinds = m["kinds"]
        table.add_row(
            d["date"], f"{d['users']:,}", f"{d['posts']:,}", f"{d['dollars']:.3f}", f"{m['dollars']:.3f}",
            *(f"{kinds.get(k, 0.0):.3f}" for k in (*KINDS, "backfills", "lookups")),
        )  # fmt: skip
    console.print(table)
    same = "equal to the cent, day by day" if doc["meterEqualsBill"] else "[red]DIFFERENT[/]"
    console.print(f"Bill ${doc['billTotal']:.2f}, meter ${doc['meterTotal']:.2f}: {same}")
    month = ", ".join(f"{k} ${v:.2f}" for k, v in doc["monthly"].items() if k != "total")
    console.print(
        f"Dollars a month (from {doc['steadyDays']} steady days): {month}; total ${doc['monthly']['total']:.2f}, "
        f"${doc['monthlyPerAccount']:.2f} an account"
    )
    console.print(
        f"To start: backfills ${doc['start']['backfills']:.2f} + first lookups ${doc['start']['lookups']:.2f}, "
        f"${doc['startPerAccount']:.2f} an account"
    )
