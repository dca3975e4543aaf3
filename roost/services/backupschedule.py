"""Backups on a schedule (`ROOST_BACKUP_DIR`, `ROOST_BACKUP_INTERVAL`, `ROOST_BACKUP_KEEP`), run beside the collector
by `roost collect` and by `roost serve` when it runs the collector itself, so exactly the processes that write
history also keep it safe, and a deployment with no collector backs nothing up twice.

The schedule lives in the directory itself: backups are named `roost-<UTC time>.db|.pgdump`, the next one is due an
interval after the newest, so a restart neither skips nor repeats one. A failed backup is logged and tried again
at the next interval (never in a loop); only the newest `keep` are kept.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from pathlib import Path

from roost.config import Settings
from roost.core.clock import Clock, sleep_unless_stopped
from roost.services import backup
from roost.services.errors import ServiceError

log = logging.getLogger("roost.backup")

_NAME = re.compile(r"^roost-(\d{8}T\d{6}Z)\.(db|pgdump)$")
_STAMP = "%Y%m%dT%H%M%SZ"


def scheduled_name(database_url: str, when: int) -> str:
    stamp = dt.datetime.fromtimestamp(when, dt.UTC).strftime(_STAMP)
    return f"roost-{stamp}.{'db' if backup.sqlite_path(database_url) is not None else 'pgdump'}"


def scheduled_backups(directory: Path) -> list[tuple[int, Path]]:
    """The backups the schedule made in `directory`, oldest first, with their times."""
    found = []
    for path in directory.glob("roost-*"):
        match = _NAME.match(path.name)
        if match:
            when = dt.datetime.strptime(match.group(1), _STAMP).replace(tzinfo=dt.UTC)
            found.append((int(when.timestamp()), path))
    return sorted(found)


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` scheduled backups (and their manifests); returns what was deleted."""
    found = scheduled_backups(directory)
    gone = [path for _, path in found[: max(0, len(found) - keep)]]
    for path in gone:
        path.unlink(missing_ok=True)
        backup.manifest_path(path).unlink(missing_ok=True)
    return gone


def next_due(directory: Path, *, interval: int, now: float) -> float:
    """When the next scheduled backup is due: an interval after the newest one, at once when there is none."""
    found = scheduled_backups(directory)
    return now if not found else max(now, found[-1][0] + interval)


def _directory(settings: Settings) -> Path:
    return Path(settings.backup_dir).expanduser()


async def run_once(settings: Settings, *, now: int, stop: asyncio.Event) -> Path | None:
    """Take one scheduled backup now and prune; None (logged) when it failed."""
    directory = _directory(settings)
    directory.mkdir(parents=True, exist_ok=True)
    dest = directory / scheduled_name(settings.database_url, now)
    try:
        manifest = await backup.backup(settings.database_url, dest, now=now, stop=stop)
    except (ServiceError, OSError) as exc:
        log.error("scheduled backup to %s failed: %s", dest, getattr(exc, "message", exc))
        return None
    rows = sum(t.rows for t in manifest.tables.values())
    log.info("backed up %d rows to %s", rows, dest)
    for path in prune(directory, settings.backup_keep):
        log.info("removed old backup %s", path)
    return dest


async def run_schedule(settings: Settings, *, clock: Clock, stop: asyncio.Event) -> None:
    """Back up every `backup_interval` seconds until `stop` is set (returns at once then, abandoning a backup in
    progress: its partial file is removed and the next start takes it again)."""
    if not settings.backup_dir:
        return
    directory = _directory(settings)
    log.info("backups every %ds into %s, keeping %d", settings.backup_interval, directory, settings.backup_keep)
    while not stop.is_set():
        due = next_due(directory, interval=settings.backup_interval, now=clock.now()) if directory.is_dir() else 0
        wait = max(0.0, due - clock.now())
        if wait > 0 and await sleep_unless_stopped(clock, wait, stop):
            return
        if stop.is_set():
            return
        taken = await run_once(settings, now=int(clock.now()), stop=stop)
        if taken is None and await sleep_unless_stopped(
            clock, settings.backup_interval, stop
        ):  # failed: try an interval later
            return
