"""The restore drill on both databases: a backup taken while the collector writes, restored into a fresh database,
holds exactly the source as of the backup's moment; refusals, pg_dump checks and the schedule."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from roost.config import Settings
from roost.core.clock import VirtualClock
from roost.services import backup, backupschedule
from roost.store import dump
from roost.store.db import create_engine
from roost.store.migrate import upgrade
from roost.store.schema import snapshots
from tests.conftest import _fresh_database
from tests.integration.collector_helpers import DAY, HOUR, START, quiet_names, rig

PROJECT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def fresh_like(url: str, tmp_path: Path, name: str = "restored") -> AsyncIterator[str]:
    """A new, empty database of the same kind as `url` (a SQLite file in its own folder `name`)."""
    folder = tmp_path / name
    folder.mkdir()
    async with _fresh_database("sqlite" if url.startswith("sqlite") else "postgres", folder) as fresh:
        yield fresh


async def wait_for_more_snapshots(r: object, than: int) -> int:
    """Let the collector (a task on this loop) run until it has written more snapshots than `than`."""
    while True:
        count: int = await r.snapshot_count()  # type: ignore[attr-defined]
        if count > than:
            return count
        await asyncio.sleep(0)


async def snapshot_set(url: str) -> set[tuple[int, ...]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return {tuple(row) for row in await conn.execute(select(snapshots))}
    finally:
        await engine.dispose()


async def test_restore_drill_backup_during_collection(database_url: str, tmp_path: Path) -> None:
    async with rig(database_url) as r:
        await r.track(quiet_names(r.world, 25, START, START + 10 * DAY))
        # A short archive (200 posts an account): the drill is about the copy's moment, not its size
        # (bench/bench_scale.py times backups of a full-size database).
        collector = r.collector(timeline=True, backfill_depth=200)
        await collector.run(until=START + DAY)
        before = await r.snapshot_count()
        writing = asyncio.create_task(collector.run())  # until stopped: it keeps writing through the backup
        try:
            await wait_for_more_snapshots(r, before)
            dest = tmp_path / ("drill.db" if database_url.startswith("sqlite") else "drill.pgdump")
            manifest = await backup.backup(database_url, dest, now=int(r.clock.now()))
            after = await wait_for_more_snapshots(r, manifest.tables["snapshots"].rows)
        finally:
            collector.stop.set()
            await writing
        # The collector wrote before the backup's moment and after it: the copy was taken in the middle.
        assert before < manifest.tables["snapshots"].rows < after
        assert manifest.tables["tweets"].rows > 0 and manifest.tables["trackers"].rows == 25
        source_now = await snapshot_set(database_url)

    async with fresh_like(database_url, tmp_path) as target:
        restored = await backup.restore(target, dest)
        assert restored.verified
        engine = create_engine(target)
        try:
            found = {s.name: s for s in await backup.checksums(engine)}
        finally:
            await engine.dispose()
        # Every table's count and checksum equal the source's, read in the very snapshot the backup copied.
        assert {name: (s.rows, s.checksum) for name, s in found.items()} == {
            name: (s.rows, s.checksum) for name, s in manifest.tables.items()
        }
        assert set(found) == {table.name for table in dump.tables()}  # every table of the schema, none left out
        # Independently of the manifest: the restored snapshots of closed hours are the source's, unchanged.
        restored_rows = await snapshot_set(target)
        last_bucket = max(row[1] for row in restored_rows)
        closed = {row for row in restored_rows if row[1] < last_bucket}
        assert closed and closed <= source_now
        with pytest.raises(backup.BackupError, match="not empty"):
            await backup.restore(target, dest)  # a database with data is never overwritten


async def test_backup_refuses_existing_file_and_wrong_kind(database_url: str, tmp_path: Path) -> None:
    dest = tmp_path / "one.bak"
    dest.write_text("x")
    with pytest.raises(backup.BackupError, match="already exists"):
        await backup.backup(database_url, dest, now=START)
    with pytest.raises(backup.BackupError, match="not a Roost backup"):
        await backup.restore(database_url, dest)


async def test_scheduled_backups_keep_the_newest(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'roost.db'}"
    await upgrade(url)
    async with rig(url) as r:
        await r.track(quiet_names(r.world, 3, START, START + DAY))
        settings = Settings(database_url=url, backup_dir=str(tmp_path / "backups"), backup_keep=2)
        stop = asyncio.Event()
        made = [await backupschedule.run_once(settings, now=START + k * DAY, stop=stop) for k in range(4)]
        assert all(made)
        kept = [path for _, path in backupschedule.scheduled_backups(tmp_path / "backups")]
        assert kept == made[2:]  # the newest two, each with its manifest
        assert all(backup.manifest_path(p).is_file() for p in kept)
        assert not backup.manifest_path(made[0]).exists()
        due = backupschedule.next_due(tmp_path / "backups", interval=3600, now=START)
        assert due == START + 3 * DAY + 3600

        # The loop: due at once after the newest is an interval old, then sleeps; a stop ends it at once.
        clock = VirtualClock(START + 3 * DAY + 2 * HOUR, autojump=False)
        loop = asyncio.create_task(backupschedule.run_schedule(settings.model_copy(update={"backup_interval": 3600}),
                                                               clock=clock, stop=stop))  # fmt: skip
        while len(backupschedule.scheduled_backups(tmp_path / "backups")) < 2 or (  # noqa: ASYNC110 - files
            backupschedule.scheduled_backups(tmp_path / "backups")[-1][0] != START + 3 * DAY + 2 * HOUR
        ):
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(loop, timeout=30)


def _roost(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "roost.cli", *args], capture_output=True, text=True, env=env,
                          cwd=PROJECT, timeout=120, check=False)  # fmt: skip


@pytest.mark.postgres
async def test_pg_dump_missing_or_too_old_is_one_clear_line(postgres_url: str, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = dict(os.environ, ROOST_DATABASE_URL=postgres_url, PATH=str(bin_dir))
    done = _roost(["db", "backup", str(tmp_path / "x.pgdump")], env)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: pg_dump is not installed") and done.stderr.count("\n") == 1
    old = bin_dir / "pg_dump"
    old.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    old.chmod(0o755)
    done = _roost(["db", "backup", str(tmp_path / "x.pgdump")], env)
    assert done.returncode == 1
    assert "pg_dump is version 9 but the server is PostgreSQL" in done.stderr
    assert not (tmp_path / "x.pgdump").exists()


async def test_cli_backup_restore_and_checksum(database_url: str, tmp_path: Path) -> None:
    env = dict(os.environ, ROOST_DATABASE_URL=database_url)
    done = _roost(["accounts", "create", "ana@example.com", "--trackers", "3"], env)
    assert done.returncode == 0, done.stderr
    dest = tmp_path / "cli.bak"
    done = _roost(["db", "backup", str(dest)], env)
    assert done.returncode == 0, done.stderr
    assert f"Backed up 1 rows in {len(dump.tables())} tables" in done.stdout
    source_sums = _roost(["db", "checksum", "--json"], env).stdout
    async with fresh_like(database_url, tmp_path, "cli-restored") as target:
        env_target = dict(env, ROOST_DATABASE_URL=target)
        done = _roost(["db", "restore", str(dest)], env_target)
        assert done.returncode == 0, done.stderr
        assert "match the backup's manifest" in done.stdout
        assert _roost(["db", "checksum", "--json"], env_target).stdout == source_sums
        done = _roost(["db", "restore", str(dest)], env_target)
        assert done.returncode == 1 and done.stderr.startswith("Error: the target database is not empty")


async def test_roost_collect_takes_scheduled_backups_and_stops_on_sigterm(database_url: str, tmp_path: Path) -> None:
    """The schedule runs in the collector's process: a backup at once (none in the directory yet), then the process
    waits for the next one and still ends promptly, cleanly, on SIGTERM."""
    await _roost_async(["accounts", "create", "ops@example.com", "--trackers", "1"], database_url)
    backups = tmp_path / "backups"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOST_")}
    env |= {"ROOST_DATABASE_URL": database_url, "ROOST_BACKUP_DIR": str(backups), "ROOST_BACKUP_KEEP": "1"}
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "roost.cli", "collect", cwd=PROJECT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        for _ in range(600):  # the process starts, migrates and backs up (a loaded machine: up to a minute)
            if backups.is_dir() and backupschedule.scheduled_backups(backups):
                break
            await asyncio.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(worker.communicate(), timeout=30)
    assert worker.returncode == 0, output.decode()
    [(_, made)] = backupschedule.scheduled_backups(backups)
    manifest = backup.Manifest.load(backup.manifest_path(made))
    assert manifest.tables["accounts"].rows == 1
    assert b"backed up" in output


async def _roost_async(args: list[str], url: str) -> None:
    done = await asyncio.to_thread(_roost, args, dict(os.environ, ROOST_DATABASE_URL=url))
    assert done.returncode == 0, done.stderr
