"""The `roost` command. Commands stay thin: they parse, call a module, and print.

`app` lives here (the console script is `roost.cli:app`); the commands live in sub-modules by audience, each
registering itself on `app` when imported below: `server` (serve, collect, xsim, backfill), `operators` (db,
accounts, keys), `trackers` (trackers, track, stop), `reports` (stats, growth, export) and `plan` (the X bill before
tracking).
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="roost",
    help="Roost: self-hosted X user trackers with a Tweet Binder-compatible API.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """Roost: self-hosted X user trackers with a Tweet Binder-compatible API."""


# Imported for their side effect of registering commands, in the order `roost --help` lists them.
from roost.cli import server, operators, trackers, archive, reports, upstream, usage, simulate, plan, data  # noqa: E402, F401, I001
from roost.cli import alerts, alert_reports  # noqa: E402, F401

__all__ = ["app"]
