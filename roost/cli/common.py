"""What every command shares: running a task with one-line errors, the shared options, and output to people
(rich tables on stdout) or scripts (`--json`)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import orjson
import typer
from rich.console import Console

if TYPE_CHECKING:
    from roost.services.runtime import Runtime
    from roost.store.accounts import Account

T = TypeVar("T")

AccountOpt = typer.Option(
    None,
    "--account",
    envvar="ROOST_ACCOUNT",
    help="The account to act for (its email); may be left out when there is only one account",
    show_default=False,
)
JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON (stable keys) instead of tables")
FromOpt = typer.Option(
    None, "--from", help="Start: unix seconds, YYYY-MM-DD, RFC 3339 or relative (7d, 24h, now); default 7d ago"
)
ToOpt = typer.Option(None, "--to", help="End, in the same forms (a bare date means its end); default now")


def fail(message: str, code: int = 1) -> NoReturn:
    """The one way commands report a problem: one line on stderr, a non-zero exit, never a traceback."""
    first = " ".join(str(message).split()) or "unknown error"
    typer.echo(f"Error: {first}", err=True)
    raise typer.Exit(code)


def _database_problem(exc: BaseException) -> str | None:
    """A one-line description if `exc` means the database could not be reached or refused the work."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    from roost.config import Settings

    try:
        import asyncpg

        driver: tuple[type[BaseException], ...] = (asyncpg.PostgresError, asyncpg.InterfaceError)
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        driver = ()
    if not isinstance(exc, (OSError, TimeoutError, OperationalError, DBAPIError, *driver)):
        return None
    from sqlalchemy.engine import make_url

    try:
        where = make_url(Settings().database_url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is itself the problem
        where = "ROOST_DATABASE_URL"
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"cannot use the database {where}: {reason}"


def run(task: Coroutine[Any, Any, T]) -> T:
    """Run a command's task. Problems the user can fix (and an unreachable database) become one line on stderr
    and exit status 1; anything else also stays one line unless ROOST_DEBUG is set, which shows the traceback."""
    from roost.services.errors import ServiceError

    try:
        return asyncio.run(task)
    except ServiceError as exc:
        fail(exc.message)
    except Exception as exc:
        problem = _database_problem(exc)
        if problem is not None:
            fail(problem)
        if os.environ.get("ROOST_DEBUG"):
            raise
        fail(f"unexpected {type(exc).__name__}: {exc} (set ROOST_DEBUG=1 to see where)")


@asynccontextmanager
async def runtime(*, migrate: bool = True) -> AsyncIterator[Runtime]:
    """The database in ROOST_DATABASE_URL, migrated first unless told not to (so commands work on a fresh
    install), on real time."""
    from roost.config import Settings
    from roost.services.runtime import open_runtime

    async with open_runtime(Settings(), migrate=migrate) as rt:
        yield rt


@asynccontextmanager
async def workspace(email: str | None) -> AsyncIterator[tuple[Runtime, Account]]:
    """The runtime and the account a command acts for (`--account`, or the only one there is)."""
    from roost.services import accounts as account_service

    async with runtime() as rt:
        yield rt, account_service.select_account(await account_service.list_accounts(rt), email)


def now() -> int:
    return int(time.time())


def stdout() -> Console:
    """Tables for people: the terminal's width, or a wide one when piped so columns are not cut."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=max(console.width, 200))
    return console


def stderr() -> Console:
    """Progress bars go to stderr, so `--json` and redirected output stay clean."""
    return Console(stderr=True, highlight=False)


def print_json(value: Any) -> None:
    typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def signed(value: int | float | None) -> str:
    """+12 / -3 / 0, or '-' when unknown."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:+,.2f}"
    return f"{value:+,}" if value else "0"


def num(value: int | float | None) -> str:
    return "-" if value is None else f"{value:,}"


def when(t: int | None, tz: Any = None) -> str:
    """A unix time as `YYYY-MM-DD HH:MM` in `tz` (UTC by default, with a trailing Z)."""
    import datetime as dt

    if t is None:
        return "-"
    if tz is None:
        return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%MZ")
    return dt.datetime.fromtimestamp(t, tz).strftime("%Y-%m-%d %H:%M")
