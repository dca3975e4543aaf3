"""The collector over virtual time (issue 19): a simulated day of N accounts (`roost simulate`'s work) and the
first run's demo history (4 accounts, 30 days), timed in wall-clock and CPU seconds, optionally under cProfile.

    .venv/bin/python -m bench.bench_simulate --days 1 --accounts 200                 # SQLite file
    .venv/bin/python -m bench.bench_simulate --days 1 --accounts 200 --postgres      # a fresh PostgreSQL database
    .venv/bin/python -m bench.bench_simulate --demo                                  # the demo's 30-day build
    ... --profile /tmp/out.prof                                                      # cProfile of the run

PostgreSQL: ROOST_TEST_DATABASE_URL's server (default postgresql://postgres@127.0.0.1:5432/test); a database
named roost_bench_simulate_<pid> is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def simulate(args: argparse.Namespace, url: str | None) -> dict[str, Any]:
    from roost.config import Settings
    from roost.services.simulate import Simulation, run

    sim = Simulation(
        days=args.days, accounts=args.accounts, workers=args.workers, faults=args.faults, database_url=url,
        budget=args.budget, settings=Settings(_env_file=None),  # type: ignore[call-arg]
    )  # fmt: skip
    outcome = await run(sim)
    return {
        "meterEqualsBill": outcome.matches,
        "bill": str(sum(d.dollars for d in outcome.bill)),
        "meter": str(sum(d.dollars for d in outcome.meter)),
    }


async def demo(scratch: Path) -> dict[str, Any]:
    from sqlalchemy import func, select

    from roost.config import Settings
    from roost.services.demo import create_demo
    from roost.store.db import create_engine
    from roost.store.migrate import upgrade
    from roost.store.schema import snapshots, tweets

    url = f"sqlite+aiosqlite:///{scratch / 'demo.db'}"
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    await upgrade(url)
    engine = create_engine(url)
    try:
        build = await create_demo(settings, engine, now=time.time())
        assert build is not None
        await build.history()
        async with engine.connect() as conn:
            snaps = int(await conn.scalar(select(func.count()).select_from(snapshots)) or 0)
            posts = int(await conn.scalar(select(func.count()).select_from(tweets)) or 0)
    finally:
        await engine.dispose()
    return {"snapshots": snaps, "posts": posts}


def timed(work: Callable[[], Awaitable[dict[str, Any]]], profile: str | None) -> None:
    profiler = cProfile.Profile() if profile else None
    t0, c0 = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    result = asyncio.run(work())
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print({**result, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1)}, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--budget", type=float, default=None)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--demo", action="store_true", help="time the demo's 30-day history build instead")
    parser.add_argument("--profile", default=None, help="write a cProfile of the run to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="roost-bench-simulate-") as scratch:
        if args.demo:
            timed(lambda: demo(Path(scratch)), args.profile)
            return
        if not args.postgres:
            timed(lambda: simulate(args, None), args.profile)
            return
        server = os.environ.get("ROOST_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
        name = f"roost_bench_simulate_{os.getpid()}"
        asyncio.run(_admin(server, f"CREATE DATABASE {name}"))
        try:
            url = server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + "/" + name
            timed(lambda: simulate(args, url), args.profile)
        finally:
            asyncio.run(_admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


if __name__ == "__main__":
    main()
