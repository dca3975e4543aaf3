"""Migration 0009: PostgreSQL's history tables partitioned by month. A database converted from the previous schema
holds and answers exactly what a fresh one does; partitions are made ahead and the DEFAULT partition is emptied;
the statements the API runs still read one user's rows through the primary key of the months they need; the
upserts and the change notifications work on the partitioned tables; a collector on a virtual clock gets its daily
maintenance done (a closed month compacted) instead of starting and cancelling it at every pass."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import select, text

from roost.core.domain import Snapshot
from roost.schemas import stats as stats_schema
from roost.store import maintenance, partitions
from roost.store import snapshots as snapshot_store
from roost.store.db import create_engine, transaction
from roost.store.hot import _statement
from roost.store.migrate import downgrade, upgrade
from roost.store.schema import maintenance as maintenance_table
from tests.conftest import BACKENDS, _fresh_database
from tests.integration.collector_helpers import quiet_names, rig
from tests.integration.history_data import DAY, HOUR, T0, USERS, answers, fill, table_rows

RANGES = [(T0, T0 + 99 * DAY), (T0 + 10 * DAY + 5 * HOUR, T0 + 45 * DAY), (T0 + 39 * DAY, T0 + 41 * DAY)]


@pytest.mark.parametrize("kind", BACKENDS)
async def test_converted_database_holds_and_answers_as_a_fresh_one(kind: str, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    async with _fresh_database(kind, tmp_path / "a") as converted, _fresh_database(kind, tmp_path / "b") as fresh:
        await upgrade(converted, "0005")
        token_a = await fill(converted)
        await upgrade(converted)
        await upgrade(fresh)
        token_b = await fill(fresh)
        engines = [create_engine(converted), create_engine(fresh)]
        try:
            rows_a, rows_b = [await table_rows(e) for e in engines]
            for table in ("snapshots", "tweets", "trackers", "x_users"):
                assert rows_a[table] == rows_b[table], table
            assert len(rows_a["snapshots"]) == 3 * 100 * 24
            if kind == "postgres":
                async with engines[0].connect() as conn:
                    made = await conn.run_sync(lambda c: partitions.months(c, "snapshots"))
                    assert {m.start for m in made} >= {partitions.month_start(T0 + d * DAY) for d in (0, 40, 99)}
                    default = await conn.execute(text("SELECT count(*) FROM snapshots_default"))
                    assert default.scalar_one() == 0  # every row found its month
                    triggers = await conn.execute(
                        text("SELECT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1")
                    )
                    assert list(triggers.scalars()) == ["snapshots", "trackers"]  # 0005's triggers survived
        finally:
            for e in engines:
                await e.dispose()
        a, b = await answers(converted, token_a, RANGES), await answers(fresh, token_b, RANGES)
        assert a == b
        assert any(len(doc) == 2 for *_, doc in a) and any(len(doc) > 1000 for *_, doc in a)
        # And back: 0009's downgrade converts to plain tables again, with every row (0008 has no later tables).
        await downgrade(converted, "0008")
        engine = create_engine(converted)
        try:
            back = await table_rows(engine, only=("snapshots", "tweets"))
        finally:
            await engine.dispose()
        assert back["snapshots"] == rows_a["snapshots"] and back["tweets"] == rows_a["tweets"]


async def test_partitions_made_ahead_and_default_rows_moved(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    far = partitions.add_months(partitions.month_start(T0), -30)  # long before any partition: the DEFAULT one
    try:
        async with transaction(engine) as conn:
            from sqlalchemy import insert

            from roost.store.schema import x_users

            await conn.execute(insert(x_users).values(id=77, username="u77", name="", created_at=0, updated_at=0))
        rows = [Snapshot(77, b, 1, 2, 3, 4, b, b) for b in (far, far + HOUR, T0)]
        async with transaction(engine) as conn:
            await snapshot_store.upsert_snapshots(conn, rows=rows)
        async with transaction(engine) as conn:  # the upsert's ON CONFLICT on the partitioned table
            await snapshot_store.upsert_snapshots(conn, rows=[Snapshot(77, far, 9, 9, 9, 9, far, far + 5)])
        report = await maintenance.run(engine, now=T0)
        assert partitions.partition_name("snapshots", far) in report.partitions_made
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM snapshots_default"))).scalar_one() == 0
            names = {m.name for m in await conn.run_sync(lambda c: partitions.months(c, "snapshots"))}
            for k in range(partitions.MONTHS_AHEAD + 1):
                assert (
                    partitions.partition_name("snapshots", partitions.add_months(partitions.month_start(T0), k))
                    in names
                )
            got = await snapshot_store.stats_range(conn, x_user_id=77, start=0, end=2**40, lo=0, hi=None)
        assert [(s.bucket, s.tweets, s.created_at, s.updated_at) for s in got] == [
            (far, 9, far, far + 5), (far + HOUR, 1, far + HOUR, far + HOUR), (T0, 1, T0, T0),
        ]  # fmt: skip
        again = await maintenance.run(engine, now=T0)
        assert again.partitions_made == []
    finally:
        await engine.dispose()


async def test_a_collector_on_a_virtual_clock_compacts_the_month_that_closed(postgres_url: str) -> None:
    """Across the end of November the round of 2 December (a day after the month closed) compacts November, with
    hourly passes on either side of it; its rows are all still there."""
    start = datetime(2026, 11, 29, tzinfo=UTC).timestamp() + 120
    end = datetime(2026, 12, 2, 3, tzinfo=UTC).timestamp()
    november = partitions.partition_name("snapshots", int(start))
    async with rig(postgres_url, start=start) as r:
        await r.track(quiet_names(r.world, 3, start, end))
        collector = r.collector()
        await collector.run(until=end)
        async with r.engine.connect() as conn:
            done = set((await conn.scalars(select(maintenance_table.c.name))).all())
            rows = (await conn.execute(text(f"SELECT count(*) FROM {november}"))).scalar_one()
        assert f"compacted.{november}" in done
        assert rows == 3 * 48  # 29 and 30 November, every hour, three accounts
        assert len(collector.reports) == 3 * 24 + 3


async def _plan(conn: asyncpg.Connection, sql: str, *args: object) -> str:
    await conn.execute("SET plan_cache_mode = force_generic_plan")  # as asyncpg's prepared statements run
    rows = await conn.fetch(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", *args)
    return "\n".join(r[0] for r in rows)


async def test_api_statements_read_the_primary_key_of_the_months_they_need(postgres_url: str) -> None:
    await fill(postgres_url)
    engine = create_engine(postgres_url)
    try:
        await maintenance.run(engine, now=T0)  # the rows written before their months existed get them
    finally:
        await engine.dispose()
    plain = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(plain)
    try:
        await conn.execute("ANALYZE")
        tracker = "00000000-0000-4000-8000-000000000000"
        account = await conn.fetchval("SELECT account_id FROM trackers WHERE id = $1", tracker)
        lo, hi = T0 + 40 * DAY, T0 + 47 * DAY  # a week inside one or two months
        for timeline in (False, True):  # the statements the API runs: its columns, two-point and timeline
            sql = _statement(stats_schema.columns(timeline), timeline)
            plan = await _plan(conn, sql, tracker, account, lo, hi, HOUR)
            run = [line for line in plan.splitlines() if " on snapshots" in line and "never executed" not in line]
            assert run and not any("Seq Scan" in line for line in run), plan
            assert all("_pkey" in line for line in run if "Index" in line), plan
            touched = {line.split(" on ")[1].split()[0] for line in run if "Heap" in line or "Index Scan" in line}
            touched = {name.removesuffix("_pkey") for name in touched}
            assert 1 <= len(touched) <= 2, plan  # the week's months, not all of them
        stats = await _plan(
            conn, "SELECT * FROM snapshots WHERE x_user_id = $1 AND bucket >= $2 AND bucket <= $3 ORDER BY bucket",
            USERS[0], lo, hi,
        )  # fmt: skip
        assert "Seq Scan" not in stats and len(set(re.findall(r"on (snapshots_p\d{6}) ", stats))) <= 2, stats
    finally:
        await conn.close()


async def test_change_notifications_fire_on_the_partitioned_table(postgres_url: str) -> None:
    await fill(postgres_url)
    plain = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    listener = await asyncpg.connect(plain)
    heard: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener("roost_changes", lambda *a: heard.put_nowait(a[3]))
    engine = create_engine(postgres_url)
    try:
        async with transaction(engine) as conn:
            await snapshot_store.upsert_snapshots(conn, rows=[Snapshot(USERS[0], T0, 1, 1, 1, 1, T0, T0)])
        assert await asyncio.wait_for(heard.get(), 10) == "snapshots"
    finally:
        await engine.dispose()
        await listener.close()
