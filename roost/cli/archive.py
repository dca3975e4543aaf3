"""`roost archive`: switch the post archive of trackers on or off (the work is in roost.services.trackers).

A tracker without its archive costs its hourly snapshots only (one user read a UTC day, $0.30 a month at X's
pay-per-use price); with it, its new posts and their metrics refreshes are read too (see the README's costs).
"""

from __future__ import annotations

from typing import Any

import typer

from roost.cli import app
from roost.cli.common import AccountOpt, JsonOpt, fail, print_json, run, stdout, workspace

STATES = {"on": True, "off": False}


@app.command("archive")
def archive(
    state: str = typer.Argument(..., help="on or off"),
    refs: list[str] = typer.Argument(..., help="Trackers: their alias or id (see `roost trackers`)"),
    account: str | None = AccountOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Archive the posts of trackers, or stop archiving them, e.g. `roost archive off osasuna realmadrid`.

    Off keeps the hourly snapshots and what was archived; on again reads from where the archive stopped (an
    account never archived gets a backfill of ROOST_BACKFILL_DEPTH posts). Exits 1 if any tracker was not found.
    """
    if state.lower() not in STATES:
        fail(f"the state must be on or off, not '{state}'")
    wanted = STATES[state.lower()]

    async def work() -> Any:
        from roost.services import tracker_views
        from roost.services import trackers as tracker_service
        from roost.services.errors import NotFound, ServiceError

        done: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        async with workspace(account) as (rt, acct):
            views = await tracker_views.every(rt, acct, status="active")
            for ref in refs:
                try:
                    view = tracker_views.find(views, ref, active_only=True)
                    if view is None:
                        raise NotFound("tracker", message=f"no active tracker called {ref.strip()}")
                    tracker = await tracker_service.set_archive(rt, acct, view.tracker.id, wanted)
                except ServiceError as exc:
                    errors.append({"ref": ref, "code": exc.code, "message": exc.message})
                    continue
                done.append({"ref": ref, "resourceId": tracker.id, "alias": tracker.alias, "archive": tracker.archive})
        return done, errors

    done, errors = run(work())
    if as_json:
        print_json({"ok": done, "errors": errors})
    else:
        for item in done:
            stdout().print(f"{item['alias']} ({item['resourceId']}): archive {'on' if item['archive'] else 'off'}")
    if errors:
        fail("; ".join(f"{e['ref']}: {e['message']}" for e in errors))
