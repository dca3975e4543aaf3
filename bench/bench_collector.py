"""Collector benchmark (issue 4): the real snapshot pass in virtual time against the in-process emulator with its
default limits (300 `GET /2/users` per 15 minutes per token).

- **ceiling**: more accounts than one token can look up in an hour are tracked; how many get their snapshot in
  each bucket is what one token sustains (X's arithmetic: 4 windows x 300 requests x 100 ids = 120,000).
- **batching**: 10,000 tracked users; mean ids per lookup request (goal >= 99.5 of 100).
- **write rate**: snapshots written per second by a whole pass (claims, lookups, upserts; the emulator runs in
  the same process and is included) and by the store alone (`upsert_snapshots`, batches of 100), per database.
- **memory**: a pass over 100,000 tracked accounts in a fresh process: its peak RSS (the
  emulator's world caches are inside it; the collector itself holds one batch per concurrent request).

Run: .venv/bin/python -m bench.bench_collector [--ceiling-users 125000] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from roost.collector.runner import Collector
from roost.collector.snapshots import PassReport
from roost.config import XSIM_DEFAULT_TOKEN
from roost.core import auth, domain
from roost.core.clock import VirtualClock
from roost.store import accounts as account_store
from roost.store import snapshots as snapshot_store
from roost.store.db import create_engine, transaction
from roost.store.migrate import upgrade
from roost.store.schema import trackers, x_users
from roost.xapi import XClient
from roost.xsim.app import create_app as create_xsim
from roost.xsim.config import XsimConfig
from roost.xsim.transport import XsimTransport
from roost.xsim.world import World

HOUR = 3600
T0 = 1_795_000_000 - 1_795_000_000 % HOUR  # a bucket boundary in 2026-11
SEED = 2024
PG = os.environ.get("ROOST_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


async def populate(url: str, users: int) -> list[int]:
    """Migrate, then track `users` accounts of the emulator's catalogue (inserted directly, in bulk)."""
    await upgrade(url)
    engine = create_engine(url)
    world = World(SEED)
    ids = [world.catalogue_id(i) for i in range(users)]
    async with transaction(engine) as conn:
        account = await account_store.create_account(
            conn, email="bench@example.com", name="bench", password_hash=auth.hash_password("x"),
            tracker_slots=users, now=T0 - HOUR,
        )  # fmt: skip
    for lo in range(0, users, 5000):
        chunk = ids[lo : lo + 5000]
        async with transaction(engine) as conn:
            await conn.execute(
                insert(x_users),
                [
                    {"id": i, "username": f"u{i}", "name": "", "created_at": T0 - HOUR, "updated_at": T0 - HOUR}
                    for i in chunk
                ],
            )
            await conn.execute(
                insert(trackers),
                [
                    {"id": f"t{i}", "account_id": account.id, "x_user_id": i, "alias": f"u{i}", "status": "active",
                     "created_at": T0 - HOUR, "updated_at": T0 - HOUR}
                    for i in chunk
                ],
            )  # fmt: skip
    await engine.dispose()
    return ids


async def collect(url: str, buckets: int, tokens: int = 1, concurrency: int = 4) -> tuple[list[PassReport], float, int]:
    """Run the collector from T0 for `buckets` hours of virtual time; reports, wall seconds, lookup requests."""
    clock = VirtualClock(T0)
    pool = [XSIM_DEFAULT_TOKEN] + [f"bench-token-{k}" for k in range(1, tokens)]
    app = create_xsim(XsimConfig(seed=SEED, tokens=frozenset(pool)), clock=clock)
    engine = create_engine(url)
    xclient = XClient(base_url="http://xsim.local", tokens=pool, clock=clock, transport=XsimTransport(app))
    collector = Collector(
        engine=engine, xclient=xclient, clock=clock, interval=HOUR, worker_id="bench", concurrency=concurrency
    )
    started = time.perf_counter()
    await collector.run(until=T0 + buckets * HOUR)
    wall = time.perf_counter() - started
    await xclient.aclose()
    await engine.dispose()
    stats = app.state.stats
    return collector.reports, wall, sum(v for k, v in stats.items() if k.startswith("GET /2/users 200"))


def per_bucket(reports: list[PassReport]) -> dict[int, PassReport]:
    merged: dict[int, PassReport] = {}
    for r in reports:
        m = merged.setdefault(r.bucket, PassReport(bucket=r.bucket))
        m.users += r.users
        m.snapshots += r.snapshots
        m.requests += r.requests
    return merged


async def bench_ceiling(url: str, users: int) -> None:
    await populate(url, users)
    # One request at a time: past the ceiling, requests wait for windows, and on a virtual clock one coroutine's
    # wait moves time for all (aging in-flight leases as real time never would). The rate limit sets the pace.
    reports, wall, _ = await collect(url, buckets=3, concurrency=1)
    print(f"ceiling: {users:,} tracked, one token, 3 hours of virtual time in {wall:.0f} s wall")
    for bucket, r in sorted(per_bucket(reports).items()):
        hour = (bucket - T0) // HOUR
        print(
            f"  hour {hour}: {r.users:>7,} accounts looked up in {r.requests:,} requests "
            f"= {r.users / 120_000:6.2%} of the 120,000 ceiling ({r.snapshots:,} snapshots; the rest do not exist)"
        )


async def bench_batching(label: str, url: str, users: int) -> None:
    ids = await populate(url, users)
    reports, wall, _ = await collect(url, buckets=1)
    r = per_bucket(reports)[T0]
    print(
        f"[{label}] {users:,} users: {r.requests} lookups, {r.users / r.requests:.2f} ids per request (goal >= 99.5); "
        f"pass wrote {r.snapshots:,} snapshots in {wall:.2f} s = {r.snapshots / wall:,.0f} snapshots/s"
    )
    engine = create_engine(url)
    rows = [
        domain.Snapshot(x_user_id=user_id, bucket=T0 + 7 * HOUR, tweets=i, followers=i, following=i, lists=1,
                        created_at=T0, updated_at=T0)
        for i, user_id in enumerate(ids)
    ]  # fmt: skip
    started = time.perf_counter()
    for lo in range(0, users, 100):
        async with transaction(engine) as conn:
            await snapshot_store.upsert_snapshots(conn, rows=rows[lo : lo + 100])
    wall = time.perf_counter() - started
    await engine.dispose()
    print(f"[{label}] store alone: {users:,} snapshots in batches of 100 in {wall:.2f} s = {users / wall:,.0f}/s")


def peak_rss_mib() -> float:
    """VmHWM: this process's peak resident set (unlike ru_maxrss, not inherited from the parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def memory_child(url: str, users: int) -> None:
    """Peak RSS of a process that only collects (Python, libraries, the in-process emulator, the collector)."""
    imported = peak_rss_mib()
    reports, wall, _ = await collect(url, buckets=1)
    r = per_bucket(reports)[T0]
    print(f"memory: {users:,} tracked, {r.users:,} looked up in {wall:.0f} s: peak RSS {peak_rss_mib():.0f} MiB for "
          f"the process, in-process emulator included ({imported:.0f} MiB after imports) (goal < 200 MB)")  # fmt: skip


async def pg_database() -> tuple[str, str]:
    import asyncpg

    name = f"roost_bench_{os.getpid()}_{int(time.time())}"
    conn = await asyncpg.connect(PG)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return name, PG.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"


async def drop_pg(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ceiling-users", type=int, default=125_000)
    parser.add_argument("--batch-users", type=int, default=10_000)
    parser.add_argument("--memory-users", type=int, default=100_000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        await memory_child(args.memory_child, args.memory_users)
        return
    with tempfile.TemporaryDirectory() as tmp:
        await bench_ceiling(f"sqlite+aiosqlite:///{tmp}/ceiling.db", args.ceiling_users)
        await bench_batching("sqlite", f"sqlite+aiosqlite:///{tmp}/batching.db", args.batch_users)
        if not args.skip_postgres:
            name, url = await pg_database()
            try:
                await bench_batching("postgres", url, args.batch_users)
            finally:
                await drop_pg(name)
        memory_url = f"sqlite+aiosqlite:///{Path(tmp) / 'memory.db'}"
        await populate(memory_url, args.memory_users)  # here, so the child holds only the collector's work
        child = [sys.executable, "-m", "bench.bench_collector", "--memory-child", memory_url,
                 "--memory-users", str(args.memory_users)]  # fmt: skip
        await asyncio.to_thread(subprocess.run, child, check=True)


if __name__ == "__main__":
    asyncio.run(main())
