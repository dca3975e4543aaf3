"""Timeline archive: Roost's backfill and incremental pass against tweepy and twarc2, one emulator over HTTP.

    .venv/bin/python -m bench.bench_timeline            # --repeat 3 --accounts 10000 --posted 0.1

`roost xsim` runs as a subprocess on 127.0.0.1 (its own process, so client and server do not share a GIL), on a
virtual clock at 2026-11-19 with limits too high to matter. Every client reads the same author (more than 3200
posts) after one warm-up read, so all of them see the emulator's caches warm.

1. backfill of a 3200-post account: Roost (`roost.collector.timeline.backfill`, into a fresh SQLite file, the
   writes included), tweepy `Paginator(get_users_tweets, max_results=100)` with its default fields and with the
   fields Roost stores, twarc2 `timeline(max_results=100)` (it asks for every field and expansion). Requests are
   counted by the emulator; the time is the best of `--repeat` runs.
2. incremental pass: `--accounts` followed accounts whose timelines were read an hour ago, `--posted` of them
   posted since; one timeline pass (`TimelinePass`) over them. Requests should be the accounts that posted plus
   any extra pages.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import requests
import tweepy
from requests.adapters import HTTPAdapter
from sqlalchemy import insert
from twarc.client2 import Twarc2

from roost.collector.timeline import TimelinePass, backfill
from roost.core.clock import VirtualClock
from roost.store.db import create_engine, transaction
from roost.store.migrate import upgrade
from roost.store.schema import accounts, snapshots, trackers, x_users
from roost.xapi import XClient
from roost.xapi.posts import TIMELINE_CAP, TWEET_FIELDS
from roost.xsim.testing import START, find_user
from roost.xsim.world import World

TOKEN = "xsim-token"
TIMELINE = "GET /2/users/:id/tweets"
HOUR = 3600


class ToEmulator(HTTPAdapter):
    """tweepy and twarc hardcode https://api.twitter.com: send their requests to the emulator instead."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        assert request.url is not None
        request.url = request.url.replace("https://api.twitter.com", self.base_url, 1)
        return super().send(request, *args, **kwargs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_xsim(port: int) -> subprocess.Popen[bytes]:
    args = [
        sys.executable,
        "-m",
        "roost.cli",
        "xsim",
        "--port",
        str(port),
        "--virtual",
        "--start",
        str(START),
        "--tokens",
        TOKEN,
    ]
    for name in ("users", "timeline", "tweets"):
        args += ["--limit", f"{name}=100000000"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/xsim/admin/clock", timeout=1).raise_for_status()
            return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("roost xsim did not start")


class Server:
    def __init__(self, url: str) -> None:
        self.url = url

    def timeline_requests(self) -> int:
        body = httpx.get(f"{self.url}/xsim/admin/stats").json()
        return sum(body.get("by_endpoint", {}).get(TIMELINE, {}).values())

    def set_clock(self, t: float) -> None:
        httpx.post(f"{self.url}/xsim/admin/clock", json={"set": t}).raise_for_status()


Setup = Callable[[int], Callable[[], int]]  # run number -> the timed read, returning the posts it read


def measure(server: Server, read: Callable[[], int]) -> tuple[float, int, int]:
    """(seconds, requests, posts) of one timed read. The client was built before (untimed, for every client
    alike); a Roost read also archives what it reads and moves its cursor."""
    before = server.timeline_requests()
    started = time.perf_counter()
    posts = read()
    seconds = time.perf_counter() - started
    return seconds, server.timeline_requests() - before, posts


def roost_setup(url: str, user_id: int, directory: Path, *, write: bool = True) -> Setup:
    """A fresh, already migrated SQLite file per run (migrating is not part of a backfill), its engine and an
    XClient built before the clock starts; the timed part is `backfill` (every page fetched, parsed, written, the
    deletion check and the cursor). `write=False` times the same requests and parsing without the archive."""

    def setup(run: int) -> Callable[[], int]:
        runner = asyncio.Runner()
        db = f"sqlite+aiosqlite:///{directory / f'backfill{run}.db'}"
        engine = create_engine(db)
        clock = VirtualClock(START)
        xclient = XClient(base_url=url, tokens=[TOKEN], clock=clock)

        async def fetch() -> int:
            token, posts = None, 0
            while True:
                page = await xclient.user_timeline_page(user_id, pagination_token=token)
                posts += len(page.posts)
                if page.next_token is None or posts >= TIMELINE_CAP:
                    return posts
                token = page.next_token

        async def archive() -> int:
            return (await backfill(engine, xclient, clock, user_id=user_id)).posts

        async def close() -> None:
            await xclient.aclose()
            await engine.dispose()

        def read() -> int:
            try:
                return runner.run(archive() if write else fetch())
            finally:
                runner.run(close())
                runner.close()

        return read

    return setup


def tweepy_setup(url: str, user_id: int, **fields: Any) -> Setup:
    def setup(run: int) -> Callable[[], int]:
        client = tweepy.Client(bearer_token=TOKEN)
        client.session.mount("https://api.twitter.com", ToEmulator(url))

        def read() -> int:
            pages = tweepy.Paginator(client.get_users_tweets, user_id, max_results=100, **fields)
            return sum(len(page.data or []) for page in pages)

        return read

    return setup


def twarc_setup(url: str, user_id: int) -> Setup:
    def setup(run: int) -> Callable[[], int]:
        twarc = Twarc2(bearer_token=TOKEN)
        twarc.connect()
        twarc.client.mount("https://api.twitter.com", ToEmulator(url))
        return lambda: sum(len(page.get("data", [])) for page in twarc.timeline(user_id, max_results=100))

    return setup


def part_backfill(server: Server, world: World, repeat: int, directory: Path) -> None:
    author = find_user(world, START, min_posts=3500, max_posts=60_000)
    twarc_setup(server.url, author.id)(0)()  # warm the emulator's caches for everyone
    for run in range(repeat):
        asyncio.run(upgrade(f"sqlite+aiosqlite:///{directory / f'backfill{run}.db'}"))
    same = {"tweet_fields": TWEET_FIELDS.split(","), "expansions": ["author_id"], "user_fields": ["public_metrics"]}
    clients = {
        "Roost backfill (SQLite writes included)": roost_setup(server.url, author.id, directory),
        "Roost XClient pages only (no writes)": roost_setup(server.url, author.id, directory, write=False),
        "tweepy Paginator, default fields": tweepy_setup(server.url, author.id),
        "tweepy Paginator, Roost's fields": tweepy_setup(server.url, author.id, **same),
        "twarc2 timeline (all fields)": twarc_setup(server.url, author.id),
    }
    # Rounds: every client once per round, so a burst of load on the machine hits all of them alike.
    results: dict[str, list[tuple[float, int, int]]] = {name: [] for name in clients}
    for run in range(repeat):
        for name, setup in clients.items():
            results[name].append(measure(server, setup(run)))
    print(f"\n1. backfill of @{author.username} ({author.tweet_count} posts; X serves the newest 3200)")
    print(f"{'client':<42} {'posts':>6} {'requests':>9} {'best s':>8} {'median s':>9}")
    for name, runs in results.items():
        times = sorted(seconds for seconds, _, _ in runs)
        _, reqs, posts = runs[-1]
        print(f"{name:<42} {posts:>6} {reqs:>9} {times[0]:>8.3f} {times[len(times) // 2]:>9.3f}")


def pick_accounts(world: World, n: int, posted: int, t0: float, t1: float) -> tuple[list[int], list[int]]:
    """`posted` accounts with a post in (t0, t1] and n - posted without, all with earlier posts."""
    active: list[int] = []
    quiet: list[int] = []
    index = 0
    while len(active) < posted or len(quiet) < n - posted:
        user_id = world.catalogue_id(index)
        index += 1
        state = world.user(user_id, t0)
        if state is None or state.status != "active" or state.tweet_count == 0:
            continue
        later = world.user(user_id, t1)
        if later is None or later.status != "active":
            continue
        group = active if later.tweet_count > state.tweet_count else quiet
        if len(group) < (posted if group is active else n - posted):
            group.append(user_id)
    return active, quiet


async def part_incremental(server: Server, world: World, n: int, share: float, directory: Path) -> None:
    t0, t1 = START, START + HOUR
    posted = round(n * share)
    active, quiet = pick_accounts(world, n, posted, t0, t1)
    db = f"sqlite+aiosqlite:///{directory / 'incremental.db'}"
    await upgrade(db)
    engine = create_engine(db)
    bucket = int(t1) // HOUR * HOUR
    async with transaction(engine) as conn:
        await conn.execute(insert(accounts).values(
            id=1, email="bench@example.com", name="bench", password_hash="x", tracker_slots_total=n,
            tracker_slots_used=n, created_at=int(t0), updated_at=int(t0)))  # fmt: skip
        users, tracks, snaps = [], [], []
        for user_id in active + quiet:
            before, after = world.user(user_id, t0), world.user(user_id, t1)
            assert before is not None and after is not None
            users.append({"id": user_id, "username": before.username, "name": before.name, "state": "ok",
                          "tweet_count_seen": before.tweet_count, "last_bucket": bucket,
                          "newest_post_id": world.post_id(user_id, before.tweet_count - 1),
                          "created_at": int(t0), "updated_at": int(t0)})  # fmt: skip
            tracks.append({"id": f"t{user_id}", "account_id": 1, "x_user_id": user_id, "alias": before.username,
                           "status": "active", "created_at": int(t0), "updated_at": int(t0)})  # fmt: skip
            snaps.append({"x_user_id": user_id, "bucket": bucket, "tweets": after.tweet_count, "followers": 0,
                          "following": 0, "lists": 0, "created_at": int(t1), "updated_at": int(t1)})  # fmt: skip
        for table, rows in ((x_users, users), (trackers, tracks), (snapshots, snaps)):
            for start in range(0, len(rows), 500):
                await conn.execute(insert(table), rows[start : start + 500])
    server.set_clock(t1)
    clock = VirtualClock(t1)
    new_posts = sum(world.tweet_count(u, t1) - world.tweet_count(u, t0) for u in active)
    extra_pages = sum(
        max(0, math.ceil((world.tweet_count(u, t1) - world.tweet_count(u, t0)) / 100) - 1) for u in active
    )
    async with XClient(base_url=server.url, tokens=[TOKEN], clock=clock) as xclient:
        requests_before = server.timeline_requests()
        started = time.perf_counter()
        report = await TimelinePass(
            engine=engine, xclient=xclient, clock=clock, worker_id="bench", deadline=t1 + HOUR, concurrency=8
        ).run()
        seconds = time.perf_counter() - started
        reqs = server.timeline_requests() - requests_before
    await engine.dispose()
    print(f"\n2. incremental pass: {n} followed accounts, {len(active)} posted in the hour ({new_posts} posts)")
    print(f"   timeline requests {reqs} (goal <= {len(active)} + {extra_pages} extra pages), "
          f"posts archived {report.posts}, users read {report.users}, {seconds:.2f} s "
          f"({n / seconds:,.0f} accounts/s, {reqs / seconds:,.0f} requests/s)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--posted", type=float, default=0.1)
    args = parser.parse_args()
    port = free_port()
    proc = start_xsim(port)
    world = World(2024)
    try:
        server = Server(f"http://127.0.0.1:{port}")
        python = sys.version.split()[0]
        print(f"roost xsim (subprocess) on {server.url}, virtual clock at {START:.0f}; Python {python}, "
              f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            part_backfill(server, world, args.repeat, Path(tmp))
            asyncio.run(part_incremental(server, world, args.accounts, args.posted, Path(tmp)))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
