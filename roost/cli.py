"""The `roost` command. Commands stay thin: they parse, call a module, and print."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

import typer

T = TypeVar("T")

app = typer.Typer(
    name="roost",
    help="Roost: self-hosted X user trackers with a Tweet Binder-compatible API.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """Roost: self-hosted X user trackers with a Tweet Binder-compatible API."""


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Address to listen on (default ROOST_HOST)"),
    port: int | None = typer.Option(None, help="Port to listen on (default ROOST_PORT)"),
    collector: bool = typer.Option(True, "--collector/--no-collector", help="Run a collector in this process"),
) -> None:
    """Run the API server (migrating the database first) and, unless --no-collector, a collector.

    Without an X token it uses the built-in X API emulator as its upstream.
    """
    import uvicorn

    from roost.api.app import create_app
    from roost.config import Settings

    settings = Settings()
    uvicorn.run(
        create_app(settings, collector=collector),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


@app.command()
def collect() -> None:
    """Run a collector worker on its own (several can share one PostgreSQL database). Stops cleanly on SIGTERM."""
    import asyncio

    from roost.collector.service import run_collector
    from roost.config import Settings

    asyncio.run(run_collector(Settings()))


@app.command()
def xsim(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8080, help="Port to listen on"),
    seed: int = typer.Option(2024, help="Seed of the simulated world (same seed, same accounts and posts)"),
    speed: float = typer.Option(1.0, help="Run the world's clock this many times faster than real time"),
    virtual: bool = typer.Option(False, "--virtual", help="A clock that moves only via POST /xsim/admin/clock"),
    start: str | None = typer.Option(None, help="The world's time at start: unix seconds or RFC 3339 (default now)"),
    tokens: str = typer.Option("xsim-token", help="Accepted bearer tokens, comma-separated; '*' accepts any"),
    limit: list[str] = typer.Option(
        [], "--limit", help="ENDPOINT=N requests per window, e.g. timeline=1500 or 'GET /2/users=300' (repeatable)"
    ),
    window: float = typer.Option(900.0, help="Rate-limit window in seconds"),
    fault_503: float = typer.Option(0.0, "--fault-503", help="Share of requests answered 503"),
    fault_429: float = typer.Option(0.0, "--fault-429", help="Share answered 429 while the window has room"),
    fault_slow: float = typer.Option(0.0, "--fault-slow", help="Share of answers delayed by --fault-slow-seconds"),
    fault_slow_seconds: float = typer.Option(5.0, "--fault-slow-seconds", help="Delay of a slow answer"),
    fault_drop: float = typer.Option(0.0, "--fault-drop", help="Share of connections broken mid-response"),
    fault_seed: int = typer.Option(0, "--fault-seed", help="Seed of the fault sequence"),
) -> None:
    """Run the offline X API v2 emulator (user lookups, user timeline, post lookup) for real clients.

    Example: `roost xsim --port 8080 --limit timeline=50 --fault-503 0.05`, then point a client at
    http://127.0.0.1:8080 with the bearer token `xsim-token`.
    """
    from roost.xsim import serve
    from roost.xsim.app import create_app

    try:
        clock = serve.build_clock(speed=speed, virtual=virtual, start=serve.parse_start(start))
        config = serve.build_config(
            seed=seed,
            tokens=tokens,
            limits=limit,
            window_seconds=window,
            fault_503=fault_503,
            fault_429=fault_429,
            fault_slow=fault_slow,
            fault_slow_seconds=fault_slow_seconds,
            fault_drop=fault_drop,
            fault_seed=fault_seed,
        )
    except ValueError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    xsim_app = create_app(config, clock=clock)
    typer.echo(serve.describe(xsim_app, host, port))
    serve.run(xsim_app, host, port)


@app.command()
def backfill(
    alias: str = typer.Argument(..., help="Screen name of an account a tracker follows"),
    depth: int | None = typer.Option(None, min=1, max=3200, help="Posts to read back (default ROOST_BACKFILL_DEPTH)"),
) -> None:
    """Read a tracked account's posts back now (X serves the newest 3200), e.g. `roost backfill osasuna`.

    The collector backfills new trackers by itself; this re-reads at once, refreshing metrics and marking posts
    that vanished from the timeline as deleted.
    """
    import asyncio

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from roost.collector.backfill import BackfillError, backfill_alias
    from roost.config import Settings
    from roost.xapi import XApiError

    settings = Settings()
    want = depth or settings.backfill_depth
    columns = (TextColumn("[bold]@{task.fields[alias]}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as progress:
        task = progress.add_task("posts", total=want, alias=alias.lstrip("@"))
        try:
            _, read = asyncio.run(
                backfill_alias(settings, alias=alias, depth=want, on_page=lambda n: progress.advance(task, n))
            )
        except (BackfillError, XApiError) as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None
        progress.update(task, total=read.posts, completed=read.posts)
    typer.echo(f"Archived {read.posts} posts of @{alias.lstrip('@')} in {read.requests} requests.")


# --- operators: database, accounts, API keys (the work is in roost.admin) ----------------------------------------

db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)
accounts_app = typer.Typer(help="Accounts and their tracker slots.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for scripts: shown once, stored only as a hash.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")


def _admin(task: Coroutine[Any, Any, T]) -> T:
    """Run an admin task; a problem the operator can fix is one line on stderr and exit status 1."""
    import asyncio

    from roost.admin import AdminError

    try:
        return asyncio.run(task)
    except AdminError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None


def _database_url() -> str:
    from roost.config import Settings

    return Settings().database_url


def _when(t: int | None) -> str:
    import datetime as dt

    return "-" if t is None else dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _now() -> int:
    import time

    return int(time.time())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database (ROOST_DATABASE_URL) to the latest schema. Safe to run at any time."""
    from roost import admin

    revision = _admin(admin.upgrade_database(_database_url()))
    typer.echo(f"Database is at revision {revision}.")


@accounts_app.command("create")
def accounts_create(
    email: str = typer.Argument(..., help="The login email (stored lowercased)"),
    trackers: int = typer.Option(..., "--trackers", min=0, help="How many trackers may run in parallel"),
    password: str | None = typer.Option(None, help="The password; generated and printed once if omitted"),
    name: str | None = typer.Option(None, help="Display name (default: the part of the email before '@')"),
) -> None:
    """Create an account, e.g. `roost accounts create ana@example.com --trackers 10`."""
    from roost import admin

    account, generated = _admin(
        admin.create_account(
            _database_url(), email=email, tracker_slots=trackers, password=password, name=name, now=_now()
        )
    )
    typer.echo(f"Created account {account.id} <{account.email}> with {account.tracker_slots_total} tracker slots.")
    if generated is not None:
        typer.echo(f"Password (shown once): {generated}")


@accounts_app.command("list")
def accounts_list() -> None:
    """List accounts with their tracker slots (used/total)."""
    from roost import admin

    found = _admin(admin.list_accounts(_database_url()))
    if not found:
        typer.echo("No accounts yet: roost accounts create EMAIL --trackers N")
        return
    typer.echo(f"{'ID':>5}  {'EMAIL':<32} {'NAME':<20} {'TRACKERS':>9}  CREATED")
    for a in found:
        slots = f"{a.tracker_slots_used}/{a.tracker_slots_total}"
        typer.echo(f"{a.id:>5}  {a.email:<32} {a.name:<20} {slots:>9}  {_when(a.created_at)}")


@keys_app.command("create")
def keys_create(
    email: str = typer.Argument(..., help="The account's email"),
    name: str = typer.Option("api key", help="A label to recognise the key by"),
    expires_days: int | None = typer.Option(None, "--expires-days", help="Days until it expires (default never)"),
) -> None:
    """Create an API key and print it once, e.g. `roost keys create ana@example.com --name ci`."""
    from roost import admin

    plaintext, key, account = _admin(
        admin.create_key(_database_url(), email=email, name=name, expires_days=expires_days, now=_now())
    )
    typer.echo(f"Created API key {key.id} ('{key.name}') for <{account.email}>, expires {_when(key.expires_at)}.")
    typer.echo(f"Key (shown once, keep it secret): {plaintext}")


@keys_app.command("revoke")
def keys_revoke(key_id: int = typer.Argument(..., help="The key's id (see `roost keys list EMAIL`)")) -> None:
    """Revoke an API key at once; requests using it get 401 from then on."""
    from roost import admin

    key = _admin(admin.revoke_key(_database_url(), key_id=key_id, now=_now()))
    typer.echo(f"Revoked API key {key.id} ('{key.name}').")


@keys_app.command("list")
def keys_list(email: str = typer.Argument(..., help="The account's email")) -> None:
    """List an account's API keys (never the keys themselves, which are not stored)."""
    from roost import admin

    account, keys = _admin(admin.list_keys(_database_url(), email=email))
    if not keys:
        typer.echo(f"<{account.email}> has no API keys.")
        return
    now = _now()
    typer.echo(f"{'ID':>5}  {'NAME':<20} {'STATUS':<8} {'CREATED':<21} {'EXPIRES':<21} LAST USED")
    for k in keys:
        status = "revoked" if k.revoked_at is not None else "active" if k.is_usable(now) else "expired"
        typer.echo(
            f"{k.id:>5}  {k.name:<20} {status:<8} {_when(k.created_at):<21} {_when(k.expires_at):<21} "
            f"{_when(k.last_used_at)}"
        )


if __name__ == "__main__":
    app()
