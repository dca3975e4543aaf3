"""Emulator throughput and memory, in-process (httpx.ASGITransport via XsimTransport, one event loop).

    .venv/bin/python -m bench.bench_xsim            # or: .venv/bin/python bench/bench_xsim.py

1. timeline pages/s: 100 posts a page, every public tweet field, expansions author_id + referenced_tweets.id,
   user.fields=public_metrics; the client parses each body with orjson. "cold" reads authors never seen (the
   world generates their posts), "warm" re-reads them (posts cached; metrics are always recomputed).
2. lookups/s: GET /2/users?ids= with 100 ids and user.fields=public_metrics.
3. memory: RSS growth and tracemalloc peak after touching N distinct accounts through lookups.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import re
import resource
import time
import tracemalloc
from typing import Any

import httpx
import orjson

from roost.core.clock import VirtualClock
from roost.xsim.app import create_app
from roost.xsim.config import XsimConfig
from roost.xsim.testing import START, accounts
from roost.xsim.transport import XsimTransport
from roost.xsim.world import World

TWEET_FIELDS = (
    "attachments,author_id,context_annotations,conversation_id,created_at,entities,geo,id,in_reply_to_user_id,"
    "lang,possibly_sensitive,public_metrics,referenced_tweets,reply_settings,source,text,withheld"
)
UNLIMITED = {name: 10**9 for name in ("users", "users-by", "user", "user-by-username", "timeline", "tweets")}


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def client_for(world: World) -> httpx.AsyncClient:
    app = create_app(XsimConfig(seed=world.seed, limits=dict(UNLIMITED)), clock=VirtualClock(START), world=world)
    return httpx.AsyncClient(
        transport=XsimTransport(app), base_url="http://xsim.bench", headers={"Authorization": "Bearer xsim-token"}
    )


NEXT_TOKEN = re.compile(rb'"next_token":"([a-z2-7]+)"')


async def read_timeline(client: httpx.AsyncClient, user_id: int, *, parse: bool = True) -> tuple[int, int]:
    """(pages, bytes) for a full read of the author's reachable timeline. Without `parse` the client only finds
    next_token in the body, which measures the emulator and the transport rather than the client's JSON decoder."""
    params: dict[str, Any] = {
        "max_results": 100,
        "tweet.fields": TWEET_FIELDS,
        "expansions": "author_id,referenced_tweets.id",
        "user.fields": "public_metrics",
    }
    pages = size = 0
    while True:
        response = await client.get(f"/2/users/{user_id}/tweets", params=params)
        pages += 1
        size += len(response.content)
        if parse:
            body = orjson.loads(response.content)
            assert len(body["data"]) == 100 or "next_token" not in body["meta"]
            token = body["meta"].get("next_token")
        else:
            found = NEXT_TOKEN.search(response.content)
            token = found.group(1).decode() if found else None
        if token is None:
            return pages, size
        params["pagination_token"] = token


async def bench_pages(world: World, authors: int, repeat: int) -> dict[str, float]:
    heavy = [u.id for _, u in accounts(world, START) if u is not None and u.status == "active" and u.tweet_count > 3200]
    chosen = heavy[:authors]
    out: dict[str, float] = {}

    async def one_pass(parse: bool) -> tuple[float, float]:
        """(pages per wall second, pages per CPU second): the second is steadier on a shared machine."""
        started, cpu = time.perf_counter(), time.process_time()
        pages = size = 0
        for user_id in chosen:
            p, s = await read_timeline(client, user_id, parse=parse)
            pages, size = pages + p, size + s
        out["pages"], out["kib_per_page"] = pages, size / pages / 1024
        return pages / (time.perf_counter() - started), pages / (time.process_time() - cpu)

    async with client_for(world) as client:
        out["cold"], out["cold_cpu"] = await one_pass(True)  # the world generates these authors' posts on the way
        parsed = [await one_pass(True) for _ in range(repeat)]
        unparsed = [await one_pass(False) for _ in range(repeat)]
    out["warm_parsed"], out["warm_parsed_cpu"] = max(r[0] for r in parsed), max(r[1] for r in parsed)
    out["warm_unparsed"], out["warm_unparsed_cpu"] = max(r[0] for r in unparsed), max(r[1] for r in unparsed)
    return out


async def bench_lookups(world: World, batches: int) -> dict[str, float]:
    ids = [world.catalogue_id(i) for i in range(100_000, 100_000 + batches * 100)]
    out: dict[str, float] = {}
    async with client_for(world) as client:
        for label in ("cold", "warm"):
            started = time.perf_counter()
            for b in range(batches):
                chunk = ",".join(str(i) for i in ids[b * 100 : (b + 1) * 100])
                response = await client.get("/2/users", params={"ids": chunk, "user.fields": "public_metrics"})
                orjson.loads(response.content)
            elapsed = time.perf_counter() - started
            out[f"{label}_lookups_per_s"] = batches / elapsed
            out[f"{label}_users_per_s"] = batches * 100 / elapsed
    return out


async def bench_memory(seed: int, touched: int) -> dict[str, float]:
    gc.collect()
    world = World(seed)
    before = rss_mb()
    tracemalloc.start()
    async with client_for(world) as client:
        for start in range(0, touched, 100):
            chunk = ",".join(str(world.catalogue_id(i)) for i in range(start, min(start + 100, touched)))
            response = await client.get("/2/users", params={"ids": chunk, "user.fields": "public_metrics"})
            assert response.status_code == 200
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    gc.collect()
    return {
        "accounts": touched,
        "rss_growth_mb": rss_mb() - before,
        "traced_current_mb": current / 2**20,
        "traced_peak_mb": peak / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--authors", type=int, default=8, help="heavy authors read in full (32 pages each)")
    parser.add_argument("--batches", type=int, default=300, help="lookups of 100 ids")
    parser.add_argument("--repeat", type=int, default=3, help="warm passes; the best is reported")
    parser.add_argument("--accounts", type=int, default=100_000, help="accounts touched for the memory figure")
    args = parser.parse_args()

    pages = asyncio.run(bench_pages(World(args.seed), args.authors, args.repeat))
    print(
        f"timeline: {pages['pages']:.0f} pages of 100 posts per pass ({pages['kib_per_page']:.0f} KiB each), "
        f"pages/s by wall clock (by CPU time):\n"
        f"  cold {pages['cold']:.0f} ({pages['cold_cpu']:.0f})\n"
        f"  warm, client parses every body: {pages['warm_parsed']:.0f} ({pages['warm_parsed_cpu']:.0f})\n"
        f"  warm, client reads only next_token: {pages['warm_unparsed']:.0f} ({pages['warm_unparsed_cpu']:.0f})"
    )
    lookups = asyncio.run(bench_lookups(World(args.seed), args.batches))
    print(
        f"lookups: {args.batches} x 100 ids, cold {lookups['cold_lookups_per_s']:.0f}/s "
        f"({lookups['cold_users_per_s']:.0f} users/s), warm {lookups['warm_lookups_per_s']:.0f}/s "
        f"({lookups['warm_users_per_s']:.0f} users/s)"
    )
    memory = asyncio.run(bench_memory(args.seed, args.accounts))
    print(
        f"memory: {memory['accounts']:.0f} accounts touched, RSS +{memory['rss_growth_mb']:.0f} MiB, "
        f"tracemalloc current {memory['traced_current_mb']:.0f} MiB, peak {memory['traced_peak_mb']:.0f} MiB"
    )


if __name__ == "__main__":
    main()
