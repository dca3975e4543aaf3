"""An account's data round-trips: `roost export --account EMAIL DEST.zip` (JSON Lines or CSV) then `roost import
archive` into an account of a fresh database gives back the same trackers, profiles, snapshots, posts and tags."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from roost.config import Settings
from roost.core import auth
from roost.services import portable
from roost.services.runtime import open_runtime
from roost.store import accounts as account_store
from roost.store import tags as tag_store
from roost.store.db import create_engine, transaction
from roost.store.schema import snapshots, tags, tracker_tags, trackers, tweets, x_users
from tests.integration.collector_helpers import DAY, START, quiet_names, rig
from tests.integration.test_backup import fresh_like

PROJECT = Path(__file__).resolve().parents[2]


async def contents(url: str) -> dict[str, Any]:
    """What an account archive carries, as sets, ids of our own rows kept (they are kept where free)."""
    engine = create_engine(url)
    profile = [x_users.c[c] for c in portable.KINDS["x_users"][1] if c not in ("created_at", "updated_at")]
    snap_cols = [c for c in snapshots.columns if c.name != "imported_at"]
    try:
        async with engine.connect() as conn:
            return {
                "trackers": {
                    tuple(r)
                    for r in await conn.execute(select(*[trackers.c[c] for c in portable.KINDS["trackers"][1]]))
                },
                "x_users": {tuple(r) for r in await conn.execute(select(*profile))},
                "snapshots": {tuple(r) for r in await conn.execute(select(*snap_cols))},
                "posts": {tuple(r) for r in await conn.execute(select(tweets))},
                "tags": {
                    tuple(r)
                    for r in await conn.execute(select(tags.c.name, tracker_tags.c.tracker_id).join(tracker_tags))
                },
            }
    finally:
        await engine.dispose()


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
async def test_an_account_round_trips(database_url: str, tmp_path: Path, fmt: str) -> None:
    async with rig(database_url) as r:
        ids = await r.track(quiet_names(r.world, 4, START, START + 5 * DAY))
        await r.collector(timeline=True, backfill_depth=200).run(until=START + 2 * DAY)
        async with transaction(r.engine) as conn:
            tag = await tag_store.create_tag(conn, account_id=r.account_id, name="clubs", now=START)
            assert tag is not None
            assert not await tag_store.assign(
                conn, account_id=r.account_id, add=[tag], remove=[], tracker_ids=ids[:2], now=START
            )
            await conn.execute(
                trackers.update().where(trackers.c.id == ids[3]).values(status="stopped", stopped_at=int(r.clock.now()))
            )
    source = await contents(database_url)
    assert source["posts"] and source["snapshots"] and len(source["tags"]) == 2

    settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    dest = tmp_path / f"account.{fmt}.zip"
    async with open_runtime(settings, migrate=False) as rt:
        async with rt.engine.connect() as conn:
            account = await account_store.get_account(conn, account_id=r.account_id)
        assert account is not None
        written = await portable.export_account(rt, account, dest, fmt=fmt)  # type: ignore[arg-type]
    assert written.counts["trackers"] == 4 and written.counts["snapshots"] == len(source["snapshots"])
    assert sorted(zipfile.ZipFile(dest).namelist()) == sorted(
        ["manifest.json", *(f"{k}.{fmt}" for k in portable.KINDS)]
    )

    async with fresh_like(database_url, tmp_path, "other") as target:
        settings = Settings(database_url=target, _env_file=None)  # type: ignore[call-arg]
        async with open_runtime(settings) as rt:
            async with transaction(rt.engine) as conn:
                mine = await account_store.create_account(
                    conn, email="new@example.com", name="new", password_hash=auth.hash_password("x"), tracker_slots=3,
                    now=START,
                )  # fmt: skip
            added = await portable.import_archive(rt, mine, dest)
            assert added.counts == written.counts
            again = await portable.import_archive(rt, mine, dest)
            assert set(again.counts.values()) == {0}  # a second import adds nothing
            async with rt.engine.connect() as conn:
                marked = (await conn.execute(select(snapshots.c.imported_at))).scalars().all()
                balance = await account_store.get_balance(conn, account_id=mine.id)
            assert marked and all(m is not None for m in marked)
            assert balance is not None and balance.used == 3  # the three active trackers took slots
        assert await contents(target) == source


async def test_cli_archive_and_refusals(database_url: str, tmp_path: Path) -> None:
    env = dict(os.environ, ROOST_DATABASE_URL=database_url)

    def roost(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "roost.cli", *args], capture_output=True, text=True, env=env,
                              cwd=PROJECT, timeout=120, check=False)  # fmt: skip

    assert roost("accounts", "create", "ana@example.com", "--trackers", "2").returncode == 0
    done = roost("export", "--account", "ana@example.com", str(tmp_path / "ana.zip"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Wrote {tmp_path / 'ana.zip'}: 0 x users, 0 trackers")
    done = roost("export", "--account", "ana@example.com", str(tmp_path / "ana.zip"))
    assert done.returncode == 1 and "already exists" in done.stderr
    done = roost("import", "archive", str(tmp_path / "ana.zip"), "--account", "ana@example.com")
    assert done.returncode == 0 and "0 trackers" in done.stdout, done.stderr
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    done = roost("import", "archive", str(tmp_path / "bad.zip"), "--account", "ana@example.com")
    assert done.returncode == 1 and done.stderr.startswith("Error: cannot read the archive")
