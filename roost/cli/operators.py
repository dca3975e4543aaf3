"""Operator commands: `roost db`, `roost accounts`, `roost keys` (the work is in roost.services.accounts and .keys)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import typer

from roost.cli import app
from roost.cli.common import run, runtime

if TYPE_CHECKING:
    from roost.services.runtime import Runtime

T = TypeVar("T")

db_app = typer.Typer(
    help="The database: migrations, backups, restores, checksums, the move to PostgreSQL.", no_args_is_help=True
)
accounts_app = typer.Typer(help="Accounts and their tracker slots.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for scripts: shown once, stored only as a hash.", no_args_is_help=True)
sessions_app = typer.Typer(help="Login sessions (tokens from logging in): list and log out.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")
app.add_typer(sessions_app, name="sessions")


def _admin(task: Callable[[Runtime], Awaitable[T]]) -> T:
    """Run an operator task on the migrated database; a problem the operator can fix is one line on stderr and
    exit status 1."""

    async def work() -> T:
        async with runtime() as rt:
            return await task(rt)

    return run(work())


def _when(t: int | None) -> str:
    import datetime as dt

    return "-" if t is None else dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database (ROOST_DATABASE_URL) to the latest schema. Safe to run at any time."""
    from roost.services import accounts as admin

    revision = _admin(admin.upgrade_database)
    typer.echo(f"Database is at revision {revision}.")


@accounts_app.command("create")
def accounts_create(
    email: str = typer.Argument(..., help="The login email (stored lowercased)"),
    trackers: int = typer.Option(..., "--trackers", min=0, help="How many trackers may run in parallel"),
    password: str | None = typer.Option(None, help="The password; generated and printed once if omitted"),
    name: str | None = typer.Option(None, help="Display name (default: the part of the email before '@')"),
) -> None:
    """Create an account, e.g. `roost accounts create ana@example.com --trackers 10`."""
    from roost.services import accounts as admin

    account, generated = _admin(
        lambda rt: admin.create_account(rt, email=email, tracker_slots=trackers, password=password, name=name)
    )
    typer.echo(f"Created account {account.id} <{account.email}> with {account.tracker_slots_total} tracker slots.")
    if generated is not None:
        typer.echo(f"Password (shown once): {generated}")


@accounts_app.command("list")
def accounts_list() -> None:
    """List accounts with their tracker slots (used/total)."""
    from roost.services import accounts as admin

    found = _admin(admin.list_accounts)
    if not found:
        typer.echo("No accounts yet: roost accounts create EMAIL --trackers N")
        return
    typer.echo(f"{'ID':>5}  {'EMAIL':<32} {'NAME':<20} {'TRACKERS':>9}  CREATED")
    for a in found:
        slots = f"{a.tracker_slots_used}/{a.tracker_slots_total}"
        typer.echo(f"{a.id:>5}  {a.email:<32} {a.name:<20} {slots:>9}  {_when(a.created_at)}")


@accounts_app.command("password")
def accounts_password(
    email: str = typer.Argument(..., help="The account's email"),
    password: str | None = typer.Option(
        None, help="The new password (at least 8 characters); generated and printed once if omitted"
    ),
) -> None:
    """Set an account's password and log out all its login sessions (API keys keep working)."""
    from roost.services import accounts as admin

    account, generated, revoked = _admin(lambda rt: admin.reset_password(rt, email=email, password=password))
    typer.echo(f"Changed the password of <{account.email}>; logged out {revoked} session(s).")
    if generated is not None:
        typer.echo(f"Password (shown once): {generated}")


@sessions_app.command("list")
def sessions_list(email: str = typer.Argument(..., help="The account's email")) -> None:
    """List an account's live login sessions, newest first."""
    from roost.services import accounts as admin

    account, found = _admin(lambda rt: admin.sessions_of(rt, email=email))
    if not found:
        typer.echo(f"<{account.email}> has no live login sessions.")
        return
    typer.echo(f"{'ID':>5}  {'CREATED':<21} {'EXPIRES':<21} LAST USED")
    for s in found:
        typer.echo(f"{s.id:>5}  {_when(s.created_at):<21} {_when(s.expires_at):<21} {_when(s.last_used_at)}")


@sessions_app.command("revoke")
def sessions_revoke(
    session_id: int = typer.Argument(..., min=1, max=2**31 - 1, help="The session's id (see `roost sessions list`)"),
) -> None:
    """Log out a login session at once; requests with its token get 401 from then on."""
    from roost.services import accounts as admin

    _admin(lambda rt: admin.revoke_session_by_id(rt, session_id=session_id))
    typer.echo(f"Logged out session {session_id}.")


@keys_app.command("create")
def keys_create(
    email: str = typer.Argument(..., help="The account's email"),
    name: str = typer.Option("api key", help="A label to recognise the key by"),
    expires_days: int | None = typer.Option(None, "--expires-days", help="Days until it expires (default never)"),
) -> None:
    """Create an API key and print it once, e.g. `roost keys create ana@example.com --name ci`."""
    from roost.services import keys as admin

    plaintext, key, account = _admin(lambda rt: admin.create_key(rt, email=email, name=name, expires_days=expires_days))
    typer.echo(f"Created API key {key.id} ('{key.name}') for <{account.email}>, expires {_when(key.expires_at)}.")
    typer.echo(f"Key (shown once, keep it secret): {plaintext}")


@keys_app.command("revoke")
def keys_revoke(
    key_id: int = typer.Argument(..., min=1, max=2**31 - 1, help="The key's id (see `roost keys list EMAIL`)"),
) -> None:
    """Revoke an API key at once; requests using it get 401 from then on."""
    from roost.services import keys as admin

    key = _admin(lambda rt: admin.revoke_key(rt, key_id=key_id))
    typer.echo(f"Revoked API key {key.id} ('{key.name}').")


@keys_app.command("list")
def keys_list(email: str = typer.Argument(..., help="The account's email")) -> None:
    """List an account's API keys (never the keys themselves, which are not stored)."""
    import time

    from roost.services import keys as admin

    account, keys = _admin(lambda rt: admin.list_keys(rt, email=email))
    if not keys:
        typer.echo(f"<{account.email}> has no API keys.")
        return
    now = int(time.time())
    typer.echo(f"{'ID':>5}  {'NAME':<20} {'STATUS':<8} {'CREATED':<21} {'EXPIRES':<21} LAST USED")
    for k in keys:
        status = "revoked" if k.revoked_at is not None else "active" if k.is_usable(now) else "expired"
        typer.echo(
            f"{k.id:>5}  {k.name:<20} {status:<8} {_when(k.created_at):<21} {_when(k.expires_at):<21} "
            f"{_when(k.last_used_at)}"
        )
