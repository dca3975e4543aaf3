"""`roost import tweetbinder` against a second Roost server (which serves exactly Tweet Binder's API): 3 trackers x
90 days of hourly snapshots come across exactly (times, counts, activity), marked imported; a second run adds
nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, insert, select

from roost.config import Settings
from roost.core import auth, domain
from roost.core.clock import VirtualClock
from roost.main import create_app
from roost.services import exports, history, tbimport
from roost.services.runtime import open_runtime
from roost.store import accounts as account_store
from roost.store import tokens as token_store
from roost.store import trackers as tracker_store
from roost.store.db import create_engine, transaction
from roost.store.migrate import upgrade
from roost.store.schema import snapshots
from roost.xsim.app import create_app as create_xsim
from roost.xsim.config import XsimConfig
from roost.xsim.transport import XsimTransport
from roost.xsim.world import World
from tests.integration.collector_helpers import DAY, HOUR, SEED, START, quiet_names

DAYS = 90


@asynccontextmanager
async def roost_server(url: str, clock: VirtualClock, world: World) -> AsyncIterator[FastAPI]:
    xsim = create_xsim(XsimConfig(seed=SEED), clock=clock, world=world)
    app = create_app(Settings(database_url=url, _env_file=None), clock=clock, transport=XsimTransport(xsim))  # type: ignore[call-arg]
    async with app.router.lifespan_context(app):
        yield app


async def account_with_token(url: str, email: str, *, slots: int, now: int) -> tuple[int, str]:
    engine = create_engine(url)
    try:
        async with transaction(engine) as conn:
            account = await account_store.create_account(
                conn, email=email, name="x", password_hash=auth.hash_password("x"), tracker_slots=slots, now=now
            )
            token, _ = await token_store.create_api_key(conn, account_id=account.id, name="import", now=now)
        return account.id, token
    finally:
        await engine.dispose()


async def fill_history(url: str, world: World, user_ids: list[int], *, start: int, end: int) -> None:
    """Hourly snapshots as a collector would have written them: the world's counts a few minutes into each hour,
    and activity figures (unknown for the first day, as before the archive had read the account)."""
    rows: list[dict[str, Any]] = []
    for uid in user_ids:
        for k, bucket in enumerate(range(domain.bucket_of(start, HOUR) + HOUR, end, HOUR)):
            state = world.user(uid, bucket + 150)
            assert state is not None
            known = k >= 24
            rows.append({
                "x_user_id": uid, "bucket": bucket, "tweets": state.tweet_count, "followers": state.followers_count,
                "following": state.following_count, "lists": state.listed_count, "created_at": bucket + 150,
                "updated_at": bucket + 150 + (k % 3) * 600, "originals": k % 7 if known else None,
                "retweet_statuses": k % 3 if known else None, "deleted": 0 if known else None,
                "retweets": k * 2 if known else None, "favorites": k * 5 if known else None,
            })  # fmt: skip
    engine = create_engine(url)
    try:
        async with transaction(engine) as conn:
            for i in range(0, len(rows), 2000):
                await conn.execute(insert(snapshots), rows[i : i + 2000])
    finally:
        await engine.dispose()


async def timeline(client: httpx.AsyncClient, token: str, tracker_id: str, end: int) -> list[dict[str, Any]]:
    answer = await client.get(
        f"/user-trackers/{tracker_id}/stats",
        params={"startDate": 0, "endDate": end, "isTimeline": "true"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json())


async def test_import_from_a_second_roost_reproduces_every_snapshot(database_url: str, tmp_path: Path) -> None:
    world = World(SEED)
    clock = VirtualClock(START)
    upstream_url = f"sqlite+aiosqlite:///{tmp_path / 'upstream.db'}"
    await upgrade(upstream_url)
    _, up_token = await account_with_token(upstream_url, "tb@example.com", slots=5, now=START)
    names = quiet_names(world, 3, START, START + DAYS * DAY)
    async with roost_server(upstream_url, clock, world) as upstream:
        up = httpx.AsyncClient(transport=httpx.ASGITransport(app=upstream), base_url="http://upstream.test")
        made = await up.post(
            "/user-trackers/multi", json=[{"alias": n} for n in names], headers={"Authorization": f"Bearer {up_token}"}
        )
        assert not made.json()["errors"], made.text
        ids = [item["resourceId"] for item in made.json()["ok"]]
        docs = [
            (await up.get(f"/user-trackers/{i}", headers={"Authorization": f"Bearer {up_token}"})).json() for i in ids
        ]
        user_ids = [int(d["profile"]["id"]) for d in docs]
        await fill_history(upstream_url, world, user_ids, start=START, end=START + DAYS * DAY)
        clock.set(START + 60 * DAY)  # the third tracker was stopped after 60 days
        stop = await up.delete(f"/user-trackers/{ids[2]}", headers={"Authorization": f"Bearer {up_token}"})
        assert stop.status_code == 204
        clock.set(START + DAYS * DAY + 1)
        end = int(clock.now())
        want = {i: await timeline(up, up_token, i, end) for i in ids}
        assert [len(want[i]) for i in ids[:2]] == [DAYS * 24 + 1] * 2 and 1400 < len(
            want[ids[2]]
        ) < 1500  # with creation

        account_id, token = await account_with_token(database_url, "me@example.com", slots=2, now=end)
        settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
        async with open_runtime(settings, clock=clock, migrate=False) as rt:
            async with rt.engine.connect() as conn:
                account = await account_store.get_account(conn, account_id=account_id)
            assert account is not None
            seen: list[tuple[str, int, int, int]] = []
            report = await tbimport.import_tweetbinder(
                rt, account, api="http://upstream.test", token=up_token,
                transport=httpx.ASGITransport(app=upstream), progress=lambda *p: seen.append(p),
            )  # fmt: skip
            assert report.generation == "current"
            assert sorted((t.remote_id, t.how, t.tracker_id) for t in report.trackers) == sorted(
                (i, "created", i) for i in ids
            )
            assert report.added == sum(len(v) for v in want.values())
            assert seen[-1][1] == seen[-1][2]  # progress reached the last window
            again = await tbimport.import_tweetbinder(
                rt, account, api="http://upstream.test", token=up_token, transport=httpx.ASGITransport(app=upstream)
            )
            assert again.added == 0 and [t.how for t in again.trackers] == ["resumed"] * 3
            async with rt.engine.connect() as conn:
                total = (await conn.execute(select(func.count()).select_from(snapshots))).scalar_one()
                marked = (
                    await conn.execute(select(func.count()).where(snapshots.c.imported_at.is_not(None)))
                ).scalar_one()
            assert total == marked == report.added
            async with rt.engine.connect() as conn:
                first = await tracker_store.get_owned_tracker(conn, account_id=account_id, tracker_id=ids[0])
            assert first is not None
            exported = await exports.export(rt, first, what="stats", start=0, end=end)
            assert exported.header[-1] == "imported" and {row[-1] for row in exported.rows} == {"true"}
            assert all(doc["imported"] is True for doc in exported.document)
            note = await history.imported_history(rt, first)
            assert note is not None and note.snapshots == len(want[ids[0]]) and note.first == want[ids[0]][0]["_id"]
            balance = await tbimport_balance(rt.engine, account_id)
            assert balance == (2, 2)  # the two active trackers took the account's two slots
        await up.aclose()

    async with roost_server(database_url, clock, world) as target:
        mine = httpx.AsyncClient(transport=httpx.ASGITransport(app=target), base_url="http://target.test")
        for i in ids:
            assert await timeline(mine, token, i, end) == want[i]  # every document, field for field
        listed = (await mine.get("/user-trackers/me", headers={"Authorization": f"Bearer {token}"})).json()["data"]
        assert {(d["_id"], d["status"], d["alias"], d["createdAt"]) for d in listed} == {
            (d["_id"], "stopped" if d["_id"] == ids[2] else "active", d["alias"], d["createdAt"]) for d in docs
        }
        await mine.aclose()


async def tbimport_balance(engine: Any, account_id: int) -> tuple[int, int]:
    async with engine.connect() as conn:
        balance = await account_store.get_balance(conn, account_id=account_id)
    assert balance is not None
    return balance.used, balance.total
