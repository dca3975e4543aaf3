"""Keeping and moving the data: `roost db backup|restore|checksum|copy` and `roost import tweetbinder|archive`
(the work is in roost.services.backup, dbcopy, tbimport and portable)."""

from __future__ import annotations

from pathlib import Path

import typer

from roost.cli import app
from roost.cli.common import AccountOpt, fail, now, print_json, run, runtime, stderr, workspace
from roost.cli.operators import db_app

import_app = typer.Typer(help="Bring history in: from Tweet Binder's API or from a Roost account archive.")
app.add_typer(import_app, name="import")


def _url() -> str:
    from roost.config import Settings

    return Settings().database_url


def _signals() -> object:
    """An event set by SIGTERM / Ctrl-C, so a long backup, restore or copy stops within seconds (and cleans up)."""
    import asyncio
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


@db_app.command("backup")
def db_backup(dest: Path = typer.Argument(..., help="The backup file to write (must not exist)")) -> None:
    """Back up the database (ROOST_DATABASE_URL) into DEST while Roost keeps running: a consistent copy of one
    moment (SQLite's online backup; PostgreSQL's pg_dump, custom format) and DEST.manifest.json with every table's
    row count and checksum at that moment."""
    from roost.services import backup

    async def work() -> backup.Manifest:
        stop = _signals()
        return await backup.backup(_url(), dest, now=now(), stop=stop)  # type: ignore[arg-type]

    manifest = run(work())
    rows = sum(t.rows for t in manifest.tables.values())
    typer.echo(f"Backed up {rows} rows in {len(manifest.tables)} tables to {dest} (as of {_when(manifest.as_of)}).")
    typer.echo(f"Manifest: {backup.manifest_path(dest)}")


@db_app.command("restore")
def db_restore(src: Path = typer.Argument(..., help="A backup made by `roost db backup`")) -> None:
    """Restore SRC into the database in ROOST_DATABASE_URL, which must be empty (a new SQLite file or a new
    PostgreSQL database); then migrate it and check it against the backup's manifest."""
    from roost.services import backup

    async def work() -> backup.Restored:
        stop = _signals()
        return await backup.restore(_url(), src, stop=stop)  # type: ignore[arg-type]

    restored = run(work())
    rows = sum(t.rows for t in restored.tables)
    typer.echo(f"Restored {rows} rows in {len(restored.tables)} tables from {src}.")
    if restored.verified:
        typer.echo("Every table's row count and checksum match the backup's manifest.")
    else:
        typer.echo("Not checked against a manifest (none beside the backup, or it was made by an older version).")


@db_app.command("checksum")
def db_checksum(as_json: bool = typer.Option(False, "--json", help="Print JSON")) -> None:
    """Print every table's row count and checksum, read in one transaction: equal figures on two databases (a
    restore, a copy to PostgreSQL) mean equal data."""
    from roost.services import backup

    async def work() -> list[object]:
        async with runtime(migrate=False) as rt:  # the data as it is: a restored database is checked unmigrated
            return list(await backup.checksums(rt.engine))

    sums = run(work())
    if as_json:
        print_json({s.name: s.as_json() for s in sums})  # type: ignore[attr-defined]
        return
    for s in sums:
        typer.echo(f"{s.name:<22} {s.rows:>12,}  {s.checksum}")  # type: ignore[attr-defined]


def _when(t: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


@db_app.command("copy")
def db_copy(
    to: str = typer.Option(..., "--to", help="The PostgreSQL database to copy into, e.g. postgresql://roost@db/roost"),
) -> None:
    """Copy this SQLite database (ROOST_DATABASE_URL) into an empty PostgreSQL database, in batches, while Roost
    keeps running; verify every table's count and checksum; then say how to switch over. Interrupted (Ctrl-C, a
    crash), run it again: it resumes where it stopped."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from roost.services import dbcopy

    columns = (TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=stderr()) as progress:
        bars: dict[str, object] = {}

        def on_batch(table: str, done: int, total: int) -> None:
            if table not in bars:
                bars[table] = progress.add_task(table, total=total)
            progress.update(bars[table], completed=done)  # type: ignore[arg-type]

        async def work() -> dbcopy.Copied:
            stop = _signals()
            return await dbcopy.copy_database(_url(), to, now=now(), on_batch=on_batch, stop=stop)  # type: ignore[arg-type]

        copied = run(work())
    rows = sum(t.rows for t in copied.tables)
    how = "resumed and finished" if copied.resumed else "copied"
    typer.echo(f"{how.capitalize()} {rows} rows in {len(copied.tables)} tables into {copied.target}, as of "
               f"{_when(copied.as_of)}; every table's row count and checksum match the source's snapshot.")  # fmt: skip
    typer.echo(
        "Writes after that moment are not in the copy. To switch over: stop `roost serve` and `roost collect`, set\n"
        f"  ROOST_DATABASE_URL={copied.target}\n"
        "and start them again. The collector carries on from the copied cursors: it collects the current hour again "
        "and reads posts newer than each account's last one; hours that ended between the copy and the switch stay "
        "missing, unless you stopped collecting before copying."
    )


@import_app.command("tweetbinder")
def import_tweetbinder(
    api: str = typer.Option(..., "--api", help="Tweet Binder's API base URL (or another Roost server's)"),
    token: str = typer.Option(..., "--token", envvar="ROOST_IMPORT_TOKEN", help="A token of that API's account"),
    account: str | None = AccountOpt,
    trackers: str | None = typer.Option(None, "--trackers", help="Only these upstream tracker ids, comma-separated"),
) -> None:
    """Import trackers and their whole history from Tweet Binder's User Trackers API (either generation), e.g.
    `roost import tweetbinder --api https://api.tweetbinder.com --token T --account ana@example.com`.

    Snapshots keep their original times and counts and are marked as imported; a bucket Roost already holds is
    kept. Interrupted, run it again: it goes on from each tracker's last imported snapshot; a second run adds
    nothing."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from roost.services import tbimport

    only = [t.strip() for t in trackers.split(",") if t.strip()] if trackers is not None else None
    if trackers is not None and not only:
        fail("--trackers: give at least one tracker id")
    columns = (TextColumn("@{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[n]}"))
    with Progress(*columns, console=stderr()) as bar:
        tasks: dict[str, object] = {}

        def progress(alias: str, done: int, total: int, added: int) -> None:
            if alias not in tasks:
                tasks[alias] = bar.add_task(alias, total=total, n="")
            bar.update(tasks[alias], completed=done, n=f"{added:,} snapshots added")  # type: ignore[arg-type]

        async def work() -> tbimport.Imported:
            async with workspace(account) as (rt, acct):
                return await tbimport.import_tweetbinder(rt, acct, api=api, token=token, only=only, progress=progress)

        report = run(work())
    typer.echo(f"Read {len(report.trackers)} trackers ({report.generation} API generation).")
    for t in report.trackers:
        if t.error:
            typer.echo(f"  {t.remote_id}  @{t.alias:<16} not imported: {t.error}")
        else:
            typer.echo(f"  {t.remote_id}  @{t.alias:<16} {t.how:<8} -> {t.tracker_id}: {t.added:,} of {t.read:,} "
                       "snapshots added")  # fmt: skip
    typer.echo(f"Added {report.added:,} snapshots ({report.retries} requests retried).")
    if any(t.error for t in report.trackers):
        raise typer.Exit(1)


def export_archive(dest: Path, *, account: str | None, fmt: str) -> None:
    """`roost export --account EMAIL DEST.zip` (registered by `roost export`, which keeps its tracker form)."""
    from roost.services import portable

    if fmt not in ("jsonl", "csv"):
        fail("--format must be jsonl or csv for an account archive")

    async def work() -> portable.Moved:
        async with workspace(account) as (rt, acct):
            return await portable.export_account(rt, acct, dest, fmt=fmt)  # type: ignore[arg-type]

    moved = run(work())
    parts = ", ".join(f"{n:,} {kind.replace('_', ' ')}" for kind, n in moved.counts.items())
    typer.echo(f"Wrote {dest}: {parts}.")


@import_app.command("archive")
def import_archive(
    src: Path = typer.Argument(..., help="An archive written by `roost export --account EMAIL DEST.zip`"),
    account: str | None = AccountOpt,
) -> None:
    """Load an account archive into an account (here or on another Roost), all or nothing; snapshots are marked
    imported, buckets Roost already holds are kept, and importing the same archive again adds nothing."""
    from roost.services import portable

    async def work() -> portable.Moved:
        async with workspace(account) as (rt, acct):
            return await portable.import_archive(rt, acct, src)

    moved = run(work())
    parts = ", ".join(f"{n:,} {kind.replace('_', ' ')}" for kind, n in moved.counts.items())
    typer.echo(f"Imported from {src}: {parts} added.")
