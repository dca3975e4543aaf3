"""Operator commands: `roost db`, `roost accounts`, `roost keys` (the work is in roost.admin)."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

import typer

from roost.cli import app
from roost.cli.common import run

T = TypeVar("T")

# --- operators: database, accounts, API keys (the work is in roost.admin) ----------------------------------------

db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)
accounts_app = typer.Typer(help="Accounts and their tracker slots.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for scripts: shown once, stored only as a hash.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")


def _admin(task: Coroutine[Any, Any, T]) -> T:
    """Run an admin task; a problem the operator can fix is one line on stderr and exit status 1."""
    return run(task)


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
