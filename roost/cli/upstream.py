"""`roost upstream`: what X refused and Roost holds back (a reached post cap, spent credits, the budget), and the
operator's resume."""

from __future__ import annotations

import typer

from roost.cli import app
from roost.cli.common import JsonOpt, print_json, run, runtime

upstream_app = typer.Typer(
    help="The X API upstream: paused requests (cap, credits), the budget, and resuming.", no_args_is_help=True
)
app.add_typer(upstream_app, name="upstream")


@upstream_app.command("status")
def status(as_json: bool = JsonOpt) -> None:
    """What is paused (why, until when), the month's spending and what the budget holds back."""
    from roost.services import spending

    async def task() -> None:
        async with runtime() as rt:
            state = await spending.upstream_status(rt)
        if as_json:
            print_json({"ok": state.ok, **spending.upstream_document(state)})
            return
        budget = "no budget" if state.budget is None else f"budget ${state.budget:.2f}"
        typer.echo(f"This billing month: ${state.month_spent:.2f} ({budget}).")
        for line in spending.describe(state) or ["Nothing paused: every kind of request goes to X."]:
            typer.echo(line)

    run(task())


@upstream_app.command("resume")
def resume(
    kind: str = typer.Option("all", "--kind", help="What to resume: posts (a post cap's pause) or all"),
) -> None:
    """Send requests to X again now (after adding credits or raising a cap), without waiting for a probe or the
    cap's reset day."""
    from roost.services import spending

    async def task() -> None:
        async with runtime() as rt:
            lifted = await spending.resume(rt, kind)
        if not lifted:
            typer.echo(f"Nothing was paused ({kind}).")
        for pause in lifted:
            typer.echo(f"Resumed {pause.kind} requests (were paused: {pause.reason}, {pause.detail}).")

    run(task())
