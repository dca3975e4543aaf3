"""bench/bench_scale.py at a tiny scale, so the script the agency-scale figures come from keeps working: it loads,
measures every figure it reports, and drops its database."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys

import asyncpg
import pytest

from tests.conftest import PG_ADMIN_URL, pg_unavailable

# Fixed ports: every module that binds one runs on the same xdist worker, one test at a time.
pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("fixed-ports")]


async def _databases() -> set[str]:
    try:
        conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://"), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pg_unavailable(str(exc))
    try:
        return {r[0] for r in await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'roost_scale_%'")}
    finally:
        await conn.close()


async def test_small_run_reports_every_figure() -> None:
    if shutil.which("wrk") is None or shutil.which("pg_dump") is None:
        pytest.skip("wrk and pg_dump are needed (apt-get install -y wrk postgresql-client)")
    before = await _databases()
    cmd = [sys.executable, "-m", "bench.bench_scale", "--trackers", "30", "--per-account", "20", "--days", "2",
           "--seconds", "1", "--connections", "4", "--port", "18651"]  # fmt: skip
    out = await asyncio.to_thread(subprocess.run, cmd, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    text = out.stdout
    assert "30 trackers (2 accounts of 20) x 48 hours = 1,440 snapshots" in text, text
    assert re.search(r"bytes a snapshot: \d+\.\d \(table \d+\.\d \+ indexes \d+\.\d\)", text), text
    for route in ("stats two-point", "timeline 30 days", "tracker list, page of 20", "tracker list, all 20"):
        assert re.search(rf"\| {route} \| [\d,]+ \| [\d.]+ \| [\d.]+ \| 0 \|", text), (route, text)
    found = re.search(r"collector hourly pass: (\d+) accounts looked up, (\d+) snapshots written, (\d+) lookup", text)
    assert found and int(found[1]) == 30 and int(found[3]) == 1, text  # 30 users: one lookup of up to 100 ids
    assert re.search(r"pg_dump -Fc: \d+ s, [\d.]+ GiB; pg_restore -j 2 into an empty database: \d+ s", text), text
    assert await _databases() == before  # its database is dropped
