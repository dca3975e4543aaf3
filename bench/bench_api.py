"""Stats endpoint benchmark (issue 3), on SQLite and PostgreSQL, in one run.

For each database: one year of hourly snapshots for 1,000 trackers (8.76 M rows), then
- the two-point stats endpoint's throughput and p99 latency under 32 concurrent connections, against a bare
  "hello" route served by the same FastAPI app and uvicorn server (goal: at least half its throughput);
- one year of `isTimeline=true` (8,760 documents) through the endpoint, against the raw SQL query plus JSON
  encoding in-process (goal: at most twice its time).

Run: .venv/bin/python -m bench.bench_api [--seconds 10] [--trackers 1000] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson
from sqlalchemy import select, text

from roost.core import auth
from roost.store import accounts as account_store
from roost.store import tokens as token_store
from roost.store.db import create_engine, write_transaction
from roost.store.migrate import upgrade
from roost.store.schema import snapshots

HOUR = 3600
YEAR_HOURS = 8760
T0 = 1_735_689_600  # 2025-01-01T00:00:00Z
PG = os.environ.get("ROOST_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")

SERVER = """
import sys, uvicorn
from roost.main import create_app
from roost.config import Settings
app = create_app(Settings(database_url=sys.argv[1], x_api_base="http://127.0.0.1:9", _env_file=None), migrate=False)
@app.get("/bench/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def build(url: str, trackers: int) -> tuple[str, list[str]]:
    """Migrate, then fill: users, trackers and a year of hourly snapshots each, generated in SQL."""
    await upgrade(url)
    engine = create_engine(url)
    now = T0 + YEAR_HOURS * HOUR
    async with write_transaction(engine) as conn:
        account = await account_store.create_account(
            conn, email="bench@example.com", name="bench", password_hash=auth.hash_password("x"),
            tracker_slots=trackers, now=T0,
        )  # fmt: skip
        token, _ = await token_store.issue_login_token(conn, account_id=account.id, now=now - 60, ttl=10**8)
        await conn.execute(
            text(
                "INSERT INTO x_users (id, username, name, state, created_at, updated_at) "
                "SELECT 1000 + n, 'user' || n, 'User ' || n, 'ok', :t0, :t0 FROM ("
                + series("n", 1, trackers)
                + ") AS s"
            ),
            {"t0": T0},
        )
        await conn.execute(
            text(
                "INSERT INTO trackers (id, account_id, x_user_id, alias, status, created_at, updated_at) "
                "SELECT 'trk-' || n, :account, 1000 + n, 'user' || n, 'active', :t0, :t0 FROM ("
                + series("n", 1, trackers)
                + ") AS s"
            ),
            {"account": account.id, "t0": T0},
        )
        await conn.execute(
            text("UPDATE accounts SET tracker_slots_used = :n WHERE id = :account"),
            {"n": trackers, "account": account.id},
        )
    for first in range(1, trackers + 1, 100):
        async with write_transaction(engine) as conn:
            await conn.execute(
                text(
                    "INSERT INTO snapshots (x_user_id, bucket, tweets, followers, following, lists, created_at, "
                    "updated_at) SELECT 1000 + u.n, :t0 + h.n * 3600, 5000 + h.n / 7, 10000 + h.n * 3 + u.n, "
                    "500 + u.n % 50, 40, :t0 + h.n * 3600 + 30, :t0 + h.n * 3600 + 30 FROM ("
                    + series("n", first, min(first + 99, trackers))
                    + ") AS u CROSS JOIN ("
                    + series("n", 0, YEAR_HOURS - 1)
                    + ") AS h"
                ),
                {"t0": T0},
            )
    await engine.dispose()
    return token, [f"trk-{n}" for n in range(1, trackers + 1)]


def series(name: str, lo: int, hi: int) -> str:
    """Integers lo..hi as a one-column select, on both databases."""
    return (
        f"WITH RECURSIVE r({name}) AS (SELECT {lo} UNION ALL SELECT {name} + 1 FROM r WHERE {name} < {hi}) "
        f"SELECT {name} FROM r"
    )


async def load(base: str, token: str, paths: list[str], seconds: float, conns: int = 32) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) with `conns` concurrent connections for `seconds`."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=conns, max_keepalive_connections=conns)
    async with httpx.AsyncClient(base_url=base, limits=limits, headers={"Authorization": f"Bearer {token}"}) as c:

        async def one(i: int) -> None:
            rng = random.Random(i)
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                r = await c.get(rng.choice(paths))
                latencies.append(time.perf_counter() - started)
                assert r.status_code == 200, r.text[:200]

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(conns)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, statistics.quantiles(latencies, n=100)[98] * 1000


async def raw_year(url: str, x_user_id: int, runs: int) -> float:
    """Median seconds for the year query plus JSON encoding, in-process, without the API around it."""
    engine = create_engine(url)
    times = []
    async with engine.connect() as conn:
        for _ in range(runs):
            started = time.perf_counter()
            rows = await conn.execute(
                select(snapshots).where(snapshots.c.x_user_id == x_user_id).order_by(snapshots.c.bucket)
            )
            orjson.dumps([r._asdict() for r in rows], option=orjson.OPT_NON_STR_KEYS)
            times.append(time.perf_counter() - started)
    await engine.dispose()
    return statistics.median(times)


async def api_year(base: str, token: str, tracker: str, runs: int) -> float:
    times = []
    params = {"startDate": T0, "endDate": T0 + YEAR_HOURS * HOUR, "isTimeline": "true"}
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
        for _ in range(runs):
            started = time.perf_counter()
            r = await c.get(f"/user-trackers/{tracker}/stats", params=params)
            times.append(time.perf_counter() - started)
            assert r.status_code == 200 and len(r.json()) == YEAR_HOURS
    return statistics.median(times)


async def wait_ready(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as c:
        for _ in range(200):
            try:
                if (await c.get("/bench/hello")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", SERVER, url, str(port)])


async def bench_database(label: str, url: str, trackers: int, seconds: float) -> None:
    started = time.perf_counter()
    token, ids = await build(url, trackers)
    print(f"[{label}] built {trackers} trackers x {YEAR_HOURS} snapshots in {time.perf_counter() - started:.0f} s")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(url, port)
    try:
        await wait_ready(base)
        stats_paths = []
        rng = random.Random(7)
        for _ in range(2000):
            start = T0 + rng.randrange(0, YEAR_HOURS // 2) * HOUR
            stats_paths.append(f"/user-trackers/{rng.choice(ids)}/stats?startDate={start}&endDate={start + 30 * 86400}")
        await load(base, token, ["/bench/hello"], 2)  # warm-up
        hello_rps, hello_p99 = await load(base, token, ["/bench/hello"], seconds)
        stats_rps, stats_p99 = await load(base, token, stats_paths, seconds)
        print(f"[{label}] hello        {hello_rps:8.0f} req/s  p99 {hello_p99:6.1f} ms")
        print(f"[{label}] stats 2-pt   {stats_rps:8.0f} req/s  p99 {stats_p99:6.1f} ms  "
              f"ratio {stats_rps / hello_rps:.2f} (goal >= 0.50)")  # fmt: skip
        api = await api_year(base, token, ids[0], 15)
        raw = await raw_year(url, 1001, 15)
        print(f"[{label}] 1-year timeline: endpoint {api * 1000:.1f} ms, raw SQL + JSON {raw * 1000:.1f} ms, "
              f"ratio {api / raw:.2f} (goal <= 2.00)")  # fmt: skip
    finally:
        server.terminate()
        server.wait(10)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--trackers", type=int, default=1000)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        await bench_database("sqlite", f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", args.trackers, args.seconds)
    if not args.skip_postgres:
        import asyncpg  # type: ignore[import-untyped]

        name = f"roost_bench_{os.getpid()}"
        admin = await asyncpg.connect(PG)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        try:
            url = PG.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
            await bench_database("postgres", url, args.trackers, args.seconds)
        finally:
            admin = await asyncpg.connect(PG)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
