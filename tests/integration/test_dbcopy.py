"""SQLite to PostgreSQL with the collector writing meanwhile: counts and checksums equal to the source's snapshot,
an interrupted copy resumed without duplicates, a lost snapshot restarted, a non-empty target refused."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from roost.services import backup, dbcopy
from roost.store import accounts as account_store
from roost.store.db import create_engine, transaction
from roost.store.migrate import upgrade
from tests.integration.collector_helpers import DAY, START, quiet_names, rig
from tests.integration.test_backup import snapshot_set

pytestmark = pytest.mark.postgres
PROJECT = Path(__file__).resolve().parents[2]


class Injected(Exception):
    """A failure between two batches, as a crash or a lost connection would leave it."""


async def _sums(url: str) -> dict[str, tuple[int, str]]:
    engine = create_engine(url)
    try:
        return {s.name: (s.rows, s.checksum) for s in await backup.checksums(engine)}
    finally:
        await engine.dispose()


async def test_copy_during_collection_interrupted_then_resumed(tmp_path: Path, postgres_url: str) -> None:
    source = f"sqlite+aiosqlite:///{tmp_path / 'roost.db'}"
    await upgrade(source)
    async with rig(source) as r:
        await r.track(quiet_names(r.world, 20, START, START + 10 * DAY))
        collector = r.collector(timeline=True, backfill_depth=400)  # posts for two batches of the archive
        await collector.run(until=START + 2 * DAY)
        writing = asyncio.create_task(collector.run())  # keeps writing to the SQLite file throughout
        batches: list[tuple[str, int, int]] = []

        def fail_on_the_fourth(table: str, done: int, total: int) -> None:
            batches.append((table, done, total))
            if len(batches) == 4:
                raise Injected

        try:
            with pytest.raises(Injected):
                await dbcopy.copy_database(source, postgres_url, now=START, on_batch=fail_on_the_fourth)
            partial = await _sums(postgres_url)
            assert sum(rows for rows, _ in partial.values()) > 0
            snapshot = dbcopy.snapshot_file(tmp_path / "roost.db", dbcopy.normalize_url(postgres_url))
            assert snapshot.is_file()  # kept for the rerun
            before = await r.snapshot_count()
            resumed_batches: list[tuple[str, int, int]] = []
            copied = await dbcopy.copy_database(
                source, postgres_url, now=START, on_batch=lambda *b: resumed_batches.append(b)
            )
            while await r.snapshot_count() == before:  # noqa: ASYNC110 - the collector is a task on this loop
                await asyncio.sleep(0)
        finally:
            collector.stop.set()
            await writing
        assert copied.resumed and not snapshot.exists()
        # The rerun went on from the fourth batch: no batch was copied twice.
        assert resumed_batches[0][1] > batches[-1][1] or resumed_batches[0][0] != batches[-1][0]
        manifest_rows = {t.name: t.rows for t in copied.tables}
        assert manifest_rows["snapshots"] > 0 and manifest_rows["tweets"] > 0
        target_sums = await _sums(postgres_url)
        assert target_sums == {t.name: (t.rows, t.checksum) for t in copied.tables}
        # Independently: every snapshot copied is in the source, unchanged for the hours that had ended.
        copied_rows = await snapshot_set(postgres_url)
        last = max(row[1] for row in copied_rows)
        assert {row for row in copied_rows if row[1] < last} <= await snapshot_set(source)
        assert len(copied_rows) == manifest_rows["snapshots"] < await r.snapshot_count()
    # The sequences were moved past the copied ids: a new account gets a new id.
    engine = create_engine(postgres_url)
    try:
        async with transaction(engine) as conn:
            new = await account_store.create_account(
                conn, email="after@example.com", name="after", password_hash="x", tracker_slots=1, now=START
            )
        assert new is not None and new.id == 2
    finally:
        await engine.dispose()


async def test_lost_snapshot_restarts_and_non_empty_target_is_refused(tmp_path: Path, postgres_url: str) -> None:
    source = f"sqlite+aiosqlite:///{tmp_path / 'roost.db'}"
    await upgrade(source)
    async with rig(source) as r:
        await r.track(quiet_names(r.world, 5, START, START + DAY))
        await r.collector().run(until=START + 6 * 3600)
    calls = 0

    def fail_once(*_: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Injected

    with pytest.raises(Injected):
        await dbcopy.copy_database(source, postgres_url, now=START, on_batch=fail_once)
    dbcopy.snapshot_file(tmp_path / "roost.db", dbcopy.normalize_url(postgres_url)).unlink()
    copied = await dbcopy.copy_database(source, postgres_url, now=START)
    assert not copied.resumed
    assert await _sums(postgres_url) == await _sums(source)  # nothing written meanwhile: the whole source
    with pytest.raises(dbcopy.CopyError, match="not empty"):
        await dbcopy.copy_database(source, postgres_url, now=START)


def test_cli_copy_says_how_to_switch_and_refuses_sqlite_targets(tmp_path: Path, postgres_url: str) -> None:
    source = f"sqlite+aiosqlite:///{tmp_path / 'roost.db'}"
    env = dict(os.environ, ROOST_DATABASE_URL=source)

    def roost(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "roost.cli", *args], capture_output=True, text=True, env=env,
                              cwd=PROJECT, timeout=120, check=False)  # fmt: skip

    assert roost("accounts", "create", "ana@example.com", "--trackers", "2").returncode == 0
    done = roost("db", "copy", "--to", f"sqlite:///{tmp_path / 'other.db'}")
    assert done.returncode == 1 and done.stderr.startswith("Error: --to must be a PostgreSQL URL")
    done = roost("db", "copy", "--to", postgres_url)
    assert done.returncode == 0, done.stderr
    assert "every table's row count and checksum match" in done.stdout
    assert f"ROOST_DATABASE_URL={postgres_url}" in done.stdout
